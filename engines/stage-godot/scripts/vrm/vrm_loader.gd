## The one entry point the stage calls: `VrmLoader.load(path)` imports a VRM 0.x or 1.0
## file at run time with Godot's GLTFDocument plus our VrmExtension and returns a ready
## VrmAvatar (facing the camera, feet on the floor, humanoid bone names, MToon materials,
## expressions, spring bones) or a failure with a stable code.
class_name VrmLoader
extends RefCounted

const VrmExtensionScript := preload("res://scripts/vrm/vrm_extension.gd")
const VrmSchema := preload("res://scripts/vrm/vrm_schema.gd")
const VrmNodes := preload("res://scripts/vrm/vrm_nodes.gd")
const VrmHumanoid := preload("res://scripts/vrm/vrm_humanoid.gd")
const VrmMToon := preload("res://scripts/vrm/vrm_mtoon.gd")
const VrmAvatarScript := preload("res://scripts/vrm/vrm_avatar.gd")
const VrmSpringBonesScript := preload("res://scripts/vrm/vrm_spring_bones.gd")

static var _extension: GLTFDocumentExtension


## Registers our extension with GLTFDocument (once; the stage calls this at startup, and
## load() makes sure of it).
static func register_extension() -> void:
	if _extension == null:
		_extension = VrmExtensionScript.new()
		GLTFDocument.register_gltf_document_extension(_extension)


## Removes it again (the benchmark measures Godot's import without it).
static func unregister_extension() -> void:
	if _extension != null:
		GLTFDocument.unregister_gltf_document_extension(_extension)
		_extension = null


## {"ok": true, "node": VrmAvatar, "info": {...}} or {"ok": false, "code": ..., "message": ...}.
static func load(path: String) -> Dictionary:
	register_extension()
	var started := Time.get_ticks_usec()
	if not FileAccess.file_exists(path):
		return _fail("not-found", "No file at %s." % path)
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	var error := document.append_from_file(path, state)
	var is_vrm := not VrmSchema.detect_version(state.json).is_empty()
	if error != OK and (state.json.is_empty() or is_vrm):
		return _fail("import-failed", "Godot could not import %s: %s." % [path.get_file(), error_string(error)])
	if not is_vrm:
		return _fail("not-vrm", "%s is a glTF file but has neither a VRM 0.x nor a VRM 1.0 extension." % path.get_file())
	var vrm: Dictionary = state.get_additional_data(VrmExtensionScript.STATE_KEY)
	var scene := document.generate_scene(state)
	if scene == null:
		return _fail("import-failed", "Godot imported %s but could not build a scene from it." % path.get_file())
	if not _has_mesh(scene):
		scene.free()
		return _fail("empty-scene", "%s has no meshes to show." % path.get_file())
	var avatar := build(state, vrm, scene)
	avatar.info["importMs"] = snappedf((Time.get_ticks_usec() - started) / 1000.0, 0.01)
	return {"ok": true, "node": avatar, "info": avatar.info}


## Builds the avatar around a generated scene (public so the benchmark can time parts).
static func build(state: GLTFState, vrm: Dictionary, scene: Node3D) -> Node3D:
	var nodes := VrmNodes.new(state, scene)
	var humanoid := VrmHumanoid.apply(vrm, nodes, scene)
	# The stage is a third-person view: meshes made only for the wearer's own eyes go.
	var hidden := 0
	for mesh_index in vrm["hidden_meshes"]:
		for mesh in nodes.meshes_of_mesh(mesh_index):
			mesh.visible = false
			hidden += 1
	for node_index in vrm["hidden_nodes"]:
		for mesh in nodes.meshes_of_node(node_index):
			mesh.visible = false
			hidden += 1
	var replaced := VrmMToon.apply(state, vrm, scene)
	var materials: Array = []
	for material in state.get_materials():
		materials.append(replaced.get(material, material))
	var avatar: Node3D = VrmAvatarScript.new()
	avatar.name = "VrmAvatar"
	var orientation := Node3D.new()
	orientation.name = "Orientation"
	# VRM 0.x models face -Z in glTF space, VRM 1.0 models +Z; the camera looks along -Z.
	if vrm["version"] == VrmSchema.VERSION_0:
		orientation.rotate_y(PI)
	avatar.add_child(orientation)
	orientation.add_child(scene)
	var bounds := avatar_bounds(avatar)
	orientation.position.y = -bounds.position.y
	bounds.position.y = 0.0
	var springs: Node = VrmSpringBonesScript.new()
	springs.name = "SpringBones"
	springs.configure(vrm["springs"], vrm["colliders"], vrm["collider_groups"], nodes.target)
	avatar.add_child(springs)
	var expressions := _expressions(vrm, nodes, materials)
	var names := PackedStringArray()
	for expression in expressions:
		names.append(expression["name"])
	var look_at: Dictionary = vrm["look_at"]
	var info := {
		"vrmVersion": vrm["version"],
		"meshCount": _count_meshes(scene),
		"boneCount": humanoid["skeleton"].get_bone_count() if humanoid["skeleton"] != null else 0,
		"humanoidBones": humanoid["mapped"].size(),
		"expressions": names,
		"springChains": springs.chain_count(),
		"mtoonMaterials": replaced.size(),
		"lookAt": look_at.get("type", "none"),
		"firstPersonOnlyHidden": hidden,
		"bounds": {"min": [bounds.position.x, bounds.position.y, bounds.position.z],
			"max": [bounds.end.x, bounds.end.y, bounds.end.z]},
		"title": str(vrm["meta"].get("title", vrm["meta"].get("name", ""))),
	}
	avatar.setup({
		"info": info,
		"bone_map": humanoid["bone_map"],
		"skeleton": humanoid["skeleton"],
		"bounds": bounds,
		"forward": Vector3.FORWARD if vrm["version"] == VrmSchema.VERSION_0 else Vector3.BACK,
		"look_at": look_at,
		"expressions": expressions,
	})
	return avatar


## Expressions with their binds resolved to mesh instances.
static func _expressions(vrm: Dictionary, nodes: RefCounted, materials: Array) -> Array:
	var out: Array = []
	for expression in vrm["expressions"]:
		var resolved: Dictionary = expression.duplicate()
		var binds: Array = []
		for bind in expression["binds"]:
			var meshes: Array = nodes.meshes_of_mesh(bind["mesh"]) if bind.has("mesh") else nodes.meshes_of_node(bind["node"])
			for mesh in meshes:
				if mesh.mesh != null and bind["index"] < mesh.mesh.get_blend_shape_count():
					binds.append({"mesh": mesh, "index": bind["index"], "weight": bind["weight"]})
		resolved["binds"] = binds
		var material_binds: Array = []
		for bind in expression["material_binds"]:
			var index: int = bind["material"]
			if index >= 0 and index < materials.size() and materials[index] != null \
					and VrmMToon.get_bound(materials[index], bind["kind"]) != null:
				material_binds.append({"material": materials[index], "kind": bind["kind"], "target": bind["target"]})
		resolved["material_binds"] = material_binds
		out.append(resolved)
	return out


## The avatar's bounds in its own space, from every mesh at rest (skinned meshes through
## their skin's bind pose, rigid ones through their node chain).
static func avatar_bounds(avatar: Node3D) -> AABB:
	var result := AABB()
	var first := true
	for mesh in _meshes(avatar):
		if not mesh.visible:
			continue
		var box := _mesh_box(mesh, avatar)
		if box.size == Vector3.ZERO and box.position == Vector3.ZERO:
			continue
		result = box if first else result.merge(box)
		first = false
	return result


static func _mesh_box(mesh: MeshInstance3D, ancestor: Node) -> AABB:
	if mesh.mesh == null:
		return AABB()
	var box := mesh.mesh.get_aabb()
	var to_ancestor := relative_transform(mesh, ancestor)
	var skeleton := mesh.get_node_or_null(mesh.skeleton) as Skeleton3D
	if mesh.skin != null and skeleton != null and mesh.skin.get_bind_count() > 0:
		var bone := bind_bone(mesh.skin, skeleton, 0)
		if bone >= 0:
			return (to_ancestor * skeleton.get_bone_global_pose(bone) * mesh.skin.get_bind_pose(0)) * box
	if _axis_aligned(to_ancestor.basis):
		return to_ancestor * box
	# A rotated box over-estimates; rigid parts (feet of robots) are small, so use their vertices.
	var result := AABB()
	var first := true
	for surface in mesh.mesh.get_surface_count():
		var points: PackedVector3Array = to_ancestor * (mesh.mesh.surface_get_arrays(surface)[Mesh.ARRAY_VERTEX] as PackedVector3Array)
		for point in points:
			if first:
				result = AABB(point, Vector3.ZERO)
				first = false
			else:
				result = result.expand(point)
	return result


static func _axis_aligned(basis: Basis) -> bool:
	for column in 3:
		var axis := basis[column]
		var used := 0
		for k in 3:
			if absf(axis[k]) > 1e-5:
				used += 1
		if used != 1:
			return false
	return true


## The skeleton bone a skin bind refers to (by name when the bind has one).
static func bind_bone(skin: Skin, skeleton: Skeleton3D, bind: int) -> int:
	var name := skin.get_bind_name(bind)
	if name != StringName():
		return skeleton.find_bone(name)
	return skin.get_bind_bone(bind)


## A node's transform relative to an ancestor, without needing the scene tree.
static func relative_transform(node: Node, ancestor: Node) -> Transform3D:
	var xform := Transform3D.IDENTITY
	while node != null and node != ancestor:
		var skeleton := node.get_parent() as Skeleton3D
		if node is BoneAttachment3D and skeleton != null and skeleton.find_bone((node as BoneAttachment3D).bone_name) >= 0:
			# Outside the tree an attachment has not followed its bone yet.
			xform = skeleton.get_bone_global_pose(skeleton.find_bone((node as BoneAttachment3D).bone_name)) * xform
		elif node is Node3D:
			xform = (node as Node3D).transform * xform
		node = node.get_parent()
	return xform


static func _meshes(node: Node, out: Array = []) -> Array:
	if node is MeshInstance3D:
		out.append(node)
	for child in node.get_children():
		_meshes(child, out)
	return out


static func _count_meshes(node: Node) -> int:
	return _meshes(node).size()


static func _has_mesh(node: Node) -> bool:
	return not _meshes(node).is_empty()


static func _fail(code: String, message: String) -> Dictionary:
	return {"ok": false, "code": code, "message": message}
