## Imports one VRM with VrmLoader and prints ONE JSON line describing what the stage would
## show: bone map, facing, feet height (from the skinned vertices, measured independently of
## the loader's own bounds), expressions and their blend shapes, the effect of
## set_expression("aa", 1), material kinds, and a spring-bone simulation check.
## Run: godot --headless --path engines/stage-godot --script res://scripts/vrm/probe.gd -- FILE
extends SceneTree

const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")
const VrmMToon := preload("res://scripts/vrm/vrm_mtoon.gd")
const VrmAvatarScript := preload("res://scripts/vrm/vrm_avatar.gd")


func _initialize() -> void:
	process_frame.connect(_run, CONNECT_ONE_SHOT)


func _run() -> void:
	var args := OS.get_cmdline_user_args()
	var report := {}
	if args.is_empty():
		report = {"ok": false, "code": "usage", "message": "usage: probe.gd -- FILE [--no-springs]"}
	else:
		report = probe(args[0], not args.has("--no-springs"))
	print(JSON.stringify(report))
	quit(0 if report.get("ok", false) else 1)


func probe(path: String, with_springs: bool) -> Dictionary:
	var result: Dictionary = VrmLoaderScript.load(path)
	if not result["ok"]:
		return result
	var avatar: Node3D = result["node"]
	root.add_child(avatar)
	var report := {"ok": true, "file": path.get_file(), "info": result["info"]}
	report["boneMap"] = _bone_map(avatar)
	report.merge(_facing(avatar))
	report.merge(_vertical_extent(avatar))
	report["expressionBinds"] = _expression_binds(avatar)
	report["setExpressionAa"] = _aa_effect(avatar)
	report["expressionEffects"] = _expression_effects(avatar)
	report["materials"] = VrmMToon.describe(avatar)
	report["life"] = _life(avatar)
	if with_springs:
		report["springs"] = _springs(avatar)
	avatar.queue_free()
	return report


func _bone_map(avatar: Node3D) -> Dictionary:
	var out := {}
	var bone_map: BoneMap = avatar.bone_map
	var skeleton: Skeleton3D = avatar.skeleton
	if bone_map == null or skeleton == null:
		return out
	var profile := bone_map.profile
	for i in profile.bone_size:
		var name := profile.get_bone_name(i)
		var bone := bone_map.get_skeleton_bone_name(name)
		if bone != StringName() and skeleton.find_bone(bone) >= 0:
			out[String(name)] = String(bone)
	return out


## Facing from the skeleton itself: with up = +Y, (left shoulder - right shoulder) x up
## points where the chest points.
func _facing(avatar: Node3D) -> Dictionary:
	var skeleton: Skeleton3D = avatar.skeleton
	var out := {"facing": null, "headPosition": null}
	if skeleton == null:
		return out
	for pair in [["LeftUpperArm", "RightUpperArm"], ["LeftUpperLeg", "RightUpperLeg"]]:
		var left := skeleton.find_bone(pair[0])
		var right := skeleton.find_bone(pair[1])
		if left >= 0 and right >= 0:
			var l := skeleton.global_transform * skeleton.get_bone_global_pose(left).origin
			var r := skeleton.global_transform * skeleton.get_bone_global_pose(right).origin
			var facing := (l - r).cross(Vector3.UP).normalized()
			out["facing"] = _vec(facing)
			out["facingFrom"] = pair[0] + "/" + pair[1]
			break
	out["arms"] = _arms(skeleton)
	var head := skeleton.find_bone("Head")
	if head >= 0:
		out["headPosition"] = _vec(skeleton.global_transform * skeleton.get_bone_global_pose(head).origin)
	return out


## Where each hand hangs relative to its shoulder (the avatar stands relaxed, not in a
## T-pose): "drop" is how far below the upper arm's joint, as a share of the arm's length.
func _arms(skeleton: Skeleton3D) -> Dictionary:
	var out := {}
	for side in ["Left", "Right"]:
		var upper := skeleton.find_bone(side + "UpperArm")
		var hand := skeleton.find_bone(side + "Hand")
		if upper < 0 or hand < 0:
			continue
		var shoulder := skeleton.global_transform * skeleton.get_bone_global_pose(upper).origin
		var wrist := skeleton.global_transform * skeleton.get_bone_global_pose(hand).origin
		var rest_wrist := skeleton.global_transform * VrmAvatarScript.rest_global(skeleton, hand).origin
		var length := shoulder.distance_to(rest_wrist)
		out[side] = {"drop": snappedf((shoulder.y - wrist.y) / maxf(length, 0.0001), 0.001),
			"handX": snappedf(wrist.x, 0.001)}
	return out


## The lowest and highest vertex in world space, skinning every vertex on the CPU.
func _vertical_extent(avatar: Node3D) -> Dictionary:
	var low := INF
	var high := -INF
	var count := 0
	for mesh in VrmLoaderScript._meshes(avatar):
		var mi: MeshInstance3D = mesh
		if mi.mesh == null or not mi.is_visible_in_tree():
			continue
		var skeleton := mi.get_node_or_null(mi.skeleton) as Skeleton3D
		var skin := mi.skin
		var bind_xforms: Array = []
		if skin != null and skeleton != null:
			for b in skin.get_bind_count():
				var bone := VrmLoaderScript.bind_bone(skin, skeleton, b)
				bind_xforms.append(skeleton.get_bone_global_pose(bone) * skin.get_bind_pose(b) if bone >= 0 else Transform3D.IDENTITY)
		var xform := mi.global_transform
		for surface in mi.mesh.get_surface_count():
			var arrays := mi.mesh.surface_get_arrays(surface)
			var vertices: PackedVector3Array = arrays[Mesh.ARRAY_VERTEX]
			var bones = arrays[Mesh.ARRAY_BONES]
			var weights = arrays[Mesh.ARRAY_WEIGHTS]
			var skinned: bool = not bind_xforms.is_empty() and bones != null and weights != null and bones.size() > 0
			var per := 0
			if skinned:
				per = bones.size() / vertices.size()
			for v in vertices.size():
				var p := vertices[v]
				if skinned:
					var acc := Vector3.ZERO
					var total := 0.0
					for k in per:
						var w: float = weights[v * per + k]
						if w <= 0.0:
							continue
						var b: int = bones[v * per + k]
						if b < bind_xforms.size():
							acc += (bind_xforms[b] * p) * w
							total += w
					if total > 0.0:
						p = acc / total
				var world := xform * p
				low = minf(low, world.y)
				high = maxf(high, world.y)
				count += 1
	return {"feetY": low if count > 0 else null, "topY": high if count > 0 else null, "vertexCount": count}


func _expression_binds(avatar: Node3D) -> Dictionary:
	var out := {}
	for name in avatar.expression_names():
		out[name] = avatar.expression_binds(name)
	return out


func _aa_effect(avatar: Node3D) -> Dictionary:
	var binds: Array = avatar.expression_binds("aa")
	if binds.is_empty():
		return {"bound": false, "accepted": avatar.set_expression("aa", 1.0)}
	var mesh := _find_mesh(avatar, binds[0]["mesh"])
	var index: int = binds[0]["index"]
	var before := mesh.get_blend_shape_value(index)
	var accepted: bool = avatar.set_expression("aa", 1.0)
	var after := mesh.get_blend_shape_value(index)
	avatar.set_expression("aa", 0.0)
	var reset := mesh.get_blend_shape_value(index)
	return {"bound": true, "accepted": accepted, "shape": binds[0]["shape"], "before": before, "after": after, "reset": reset}


## For every expression: what its binds read at rest, at weight 0.4 and at 0.6 (a binary
## expression jumps between rest and full at 0.5), and at 1; for expressions overriding
## blinking: what "blink" drives when both are at 1.
func _expression_effects(avatar: Node3D) -> Dictionary:
	var out := {}
	avatar.auto_blink = false
	for name in avatar.expression_names():
		var entry := {"rest": avatar.expression_values(name)}
		for weight in [0.4, 0.6, 1.0]:
			avatar.set_expression(name, weight)
			entry[str(weight)] = avatar.expression_values(name)
		avatar.set_expression(name, 0.0)
		entry["reset"] = avatar.expression_values(name)
		out[name] = entry
	if "blink" in avatar.expression_names():
		for name in avatar.expression_names():
			if name == "blink":
				continue
			avatar.set_expression("blink", 1.0)
			var alone: Array = avatar.expression_values("blink")
			avatar.set_expression(name, 1.0)
			var together: Array = avatar.expression_values("blink")
			avatar.set_expression(name, 0.0)
			avatar.set_expression("blink", 0.0)
			if together != alone:
				out[name]["blinkWithIt"] = together
	return out


func _find_mesh(node: Node, name: String) -> MeshInstance3D:
	if node is MeshInstance3D and String(node.name) == name:
		return node
	for child in node.get_children():
		var found := _find_mesh(child, name)
		if found != null:
			return found
	return null


# --- life: blinking, breathing, look-at ----------------------------------------------

## Twenty seconds of avatar frames at 60 fps with a camera off to the avatar's left (+X):
## blinks counted, the chest's breathing swing measured, the head's turn towards the camera.
func _life(avatar: Node3D) -> Dictionary:
	var skeleton: Skeleton3D = avatar.skeleton
	var camera := Camera3D.new()
	var head_height: float = avatar.get_bounds().end.y * 0.9
	camera.position = Vector3(1.2, head_height, 1.6)
	root.add_child(camera)
	camera.make_current()
	avatar.auto_blink = true
	avatar.set_random_seed(20261125)
	var blinks: Array = []
	var closed := false
	var breath_min := INF
	var breath_max := -INF
	var chest := -1
	if skeleton != null:
		for name in ["UpperChest", "Chest", "Spine"]:
			if skeleton.find_bone(name) >= 0:
				chest = skeleton.find_bone(name)
				break
	var dt := 1.0 / 60.0
	var frames := 20 * 60
	for f in frames:
		avatar._process(dt)
		var weight: float = avatar.auto_weight("blink")
		if weight > 0.9 and not closed:
			blinks.append(snappedf(f * dt, 0.001))
			closed = true
		elif weight < 0.1:
			closed = false
		if chest >= 0:
			var rest := skeleton.get_bone_rest(chest).basis.get_rotation_quaternion()
			var angle := rad_to_deg(rest.angle_to(skeleton.get_bone_pose_rotation(chest)))
			breath_min = minf(breath_min, angle)
			breath_max = maxf(breath_max, angle)
	var out := {"seconds": frames * dt, "blinkTimes": blinks, "breathDegrees": null, "headTurn": null,
		"lookExpressions": {}}
	if chest >= 0:
		out["breathDegrees"] = [snappedf(breath_min, 0.001), snappedf(breath_max, 0.001)]
	var head := skeleton.find_bone("Head") if skeleton != null else -1
	if head >= 0:
		# The head's rotation away from rest, applied to the way the avatar faces (+Z).
		var rest := VrmAvatarScript.rest_global(skeleton, head).basis.orthonormalized()
		var now := skeleton.get_bone_global_pose(head).basis.orthonormalized()
		var turn := now * rest.inverse()
		var skeleton_basis := skeleton.global_transform.basis.orthonormalized()
		var facing := skeleton_basis * turn * skeleton_basis.inverse() * Vector3.BACK
		out["headTurn"] = _vec(facing)
	for name in ["lookLeft", "lookRight", "lookUp", "lookDown"]:
		out["lookExpressions"][name] = snappedf(avatar.auto_weight(name), 0.0001)
	var eyes := {}
	for name in ["LeftEye", "RightEye"]:
		var bone := skeleton.find_bone(name) if skeleton != null else -1
		if bone >= 0:
			var rest := skeleton.get_bone_rest(bone).basis.get_rotation_quaternion()
			eyes[name] = snappedf(rad_to_deg(rest.angle_to(skeleton.get_bone_pose_rotation(bone))), 0.001)
	out["eyeDegrees"] = eyes
	camera.queue_free()
	avatar.auto_blink = false
	return out


# --- spring bones ---------------------------------------------------------------------

func _springs(avatar: Node3D) -> Dictionary:
	var springs: Node = avatar.get_node("SpringBones")
	var out := {"chains": springs.chain_count(), "joints": springs.joint_count()}
	if springs.chain_count() == 0:
		return out
	out["hang"] = _hang(avatar, springs)
	var settle := {}
	for fps in [30, 60, 144]:
		settle[str(fps)] = _settle(avatar, springs, 1.0 / fps)
	out["settle"] = settle
	return out


## With gravity forced on, every chain's tip ends lower under its root than at rest (or as low).
func _hang(avatar: Node3D, springs: Node) -> Dictionary:
	avatar.position = Vector3.ZERO
	springs.gravity_floor = 0.0
	springs.reset()
	springs.advance(0.0)
	var rest := _drops(springs)
	springs.gravity_floor = 2.0
	for i in 180:
		springs.advance(1.0 / 60.0)
	var hanging := _drops(springs)
	springs.gravity_floor = 0.0
	springs.reset()
	return {"restDrop": rest, "gravityDrop": hanging}


func _drops(springs: Node) -> Array:
	var roots: Array = springs.chain_roots()
	var tips: Array = springs.chain_tips()
	var out: Array = []
	for i in roots.size():
		out.append(snappedf((roots[i] as Vector3).y - (tips[i] as Vector3).y, 0.00001))
	return out


## A jump: the avatar rises 0.3 m in one frame and lands 0.3 s later; the chains must swing
## and then settle, with the kinetic energy staying finite and decaying.
func _settle(avatar: Node3D, springs: Node, dt: float) -> Dictionary:
	avatar.position = Vector3.ZERO
	springs.reset()
	var t := 0.0
	while t < 2.0:
		springs.advance(dt)
		t += dt
	var before: float = springs.energy
	var peak := 0.0
	var finite := true
	var tail: Array = []
	t = 0.0
	var landed := false
	avatar.position.y = 0.3
	while t < 5.0:
		if not landed and t >= 0.3:
			avatar.position.y = 0.0
			landed = true
		springs.advance(dt)
		var e: float = springs.energy
		if is_nan(e) or is_inf(e):
			finite = false
		peak = maxf(peak, e)
		if t >= 4.5:
			tail.append(e)
		t += dt
	var final := 0.0
	for e in tail:
		final = maxf(final, e)
	avatar.position = Vector3.ZERO
	springs.reset()
	return {"dt": dt, "restEnergy": before, "peakEnergy": peak, "finalEnergy": final, "finite": finite,
		"maxSpeed": springs.max_speed}


static func _vec(v: Vector3) -> Array:
	return [snappedf(v.x, 0.0001), snappedf(v.y, 0.0001), snappedf(v.z, 0.0001)]
