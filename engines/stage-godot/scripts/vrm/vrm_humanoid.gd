## Gives the avatar Godot's SkeletonProfileHumanoid bone names (Hips, Spine, Head, ...):
## the VRM humanoid bones are renamed in their Skeleton3D, and every skin bind and bone
## attachment that names a renamed bone follows, so skinning and rigid parts keep working.
extends RefCounted

const VrmSchema := preload("res://scripts/vrm/vrm_schema.gd")


## Returns {"bone_map": BoneMap, "skeleton": Skeleton3D or null, "mapped": PackedStringArray}.
static func apply(vrm: Dictionary, nodes: RefCounted, root: Node) -> Dictionary:
	var profile := SkeletonProfileHumanoid.new()
	var plan := {}  # Skeleton3D -> {bone index: profile name}
	var main_skeleton: Skeleton3D = null
	for vrm_bone in vrm["humanoid"]:
		var profile_name := VrmSchema.profile_bone_name(vrm_bone)
		if profile.find_bone(profile_name) < 0:
			continue
		var target: Dictionary = nodes.target(vrm["humanoid"][vrm_bone])
		if not target.has("skeleton"):
			continue
		var skeleton: Skeleton3D = target["skeleton"]
		if not plan.has(skeleton):
			plan[skeleton] = {}
		plan[skeleton][target["bone"]] = profile_name
		if profile_name == "Hips":
			main_skeleton = skeleton
	var renamed := {}  # Skeleton3D -> {old name: new name}
	for skeleton in plan:
		renamed[skeleton] = _rename(skeleton, plan[skeleton])
	_follow_renames(root, renamed)
	var bone_map := BoneMap.new()
	bone_map.profile = profile
	var mapped := PackedStringArray()
	if main_skeleton != null:
		for bone in plan[main_skeleton]:
			var name: String = plan[main_skeleton][bone]
			bone_map.set_skeleton_bone_name(name, name)
			mapped.append(name)
	return {"bone_map": bone_map, "skeleton": main_skeleton, "mapped": mapped}


## Renames bones in two passes through temporary names, so no two bones ever share a name.
static func _rename(skeleton: Skeleton3D, wanted: Dictionary) -> Dictionary:
	var old_names := {}
	for bone in skeleton.get_bone_count():
		old_names[bone] = skeleton.get_bone_name(bone)
	var taken := {}
	for bone in wanted:
		taken[wanted[bone]] = true
	var final_names := {}
	for bone in skeleton.get_bone_count():
		if wanted.has(bone):
			final_names[bone] = wanted[bone]
		elif taken.has(old_names[bone]):
			# A non-humanoid bone already carries a profile name: move it aside.
			var suffix := 2
			while taken.has("%s_%d" % [old_names[bone], suffix]) or skeleton.find_bone("%s_%d" % [old_names[bone], suffix]) >= 0:
				suffix += 1
			final_names[bone] = "%s_%d" % [old_names[bone], suffix]
			taken[final_names[bone]] = true
	for bone in final_names:
		skeleton.set_bone_name(bone, "__vrm_rename_%d" % bone)
	var changes := {}
	for bone in final_names:
		skeleton.set_bone_name(bone, final_names[bone])
		if old_names[bone] != final_names[bone]:
			changes[old_names[bone]] = final_names[bone]
	return changes


static func _follow_renames(node: Node, renamed: Dictionary) -> void:
	if node is MeshInstance3D and node.skin != null:
		var skeleton := node.get_node_or_null(node.skeleton) as Skeleton3D
		if skeleton != null and renamed.has(skeleton):
			var changes: Dictionary = renamed[skeleton]
			var skin: Skin = node.skin
			for i in skin.get_bind_count():
				var name := String(skin.get_bind_name(i))
				if changes.has(name):
					skin.set_bind_name(i, changes[name])
	elif node is BoneAttachment3D:
		var skeleton := node.get_parent() as Skeleton3D
		if skeleton != null and renamed.has(skeleton) and renamed[skeleton].has(node.bone_name):
			node.bone_name = renamed[skeleton][node.bone_name]
	for child in node.get_children():
		_follow_renames(child, renamed)
