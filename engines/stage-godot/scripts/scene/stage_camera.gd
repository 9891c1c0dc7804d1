## Frames the avatar: looks at it from the front so all of it fits, whatever its size.
extends Camera3D

const HEAD_ROOM := 1.08


func frame(avatar: Node3D) -> void:
	var box := _bounds(avatar)
	if box.size == Vector3.ZERO:
		return
	var centre := box.get_center()
	var viewport_size := Vector2(get_viewport().get_visible_rect().size)
	var aspect := viewport_size.x / maxf(viewport_size.y, 1.0)
	var half_v := tan(deg_to_rad(fov) * 0.5)
	var by_height := (box.size.y * HEAD_ROOM * 0.5) / half_v
	var by_width := (box.size.x * HEAD_ROOM * 0.5) / (half_v * aspect)
	var distance := maxf(by_height, by_width) + box.size.z * 0.5
	look_at_from_position(centre + Vector3(0, 0, distance), centre, Vector3.UP)
	near = maxf(distance * 0.01, 0.01)
	far = distance * 10.0


func _bounds(avatar: Node3D) -> AABB:
	var box := AABB()
	var first := true
	for child in avatar.find_children("*", "VisualInstance3D", true, false):
		var visual := child as VisualInstance3D
		var world := visual.global_transform * visual.get_aabb()
		box = world if first else box.merge(world)
		first = false
	return box
