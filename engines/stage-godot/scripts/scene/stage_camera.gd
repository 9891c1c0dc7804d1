## Frames the avatar: looks at its upper body from the front, whatever its size.
extends Camera3D

const HEAD_ROOM := 1.08


func frame(avatar: Node3D) -> void:
	var box := _bounds(avatar)
	if box.size == Vector3.ZERO:
		return
	var centre := box.get_center()
	var height := box.size.y * HEAD_ROOM
	var distance := (height * 0.5) / tan(deg_to_rad(fov) * 0.5) + box.size.z * 0.5
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
