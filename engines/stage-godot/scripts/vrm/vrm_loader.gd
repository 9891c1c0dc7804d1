## Minimal stand-in for the VRM loader (the vrm concern owns the real one).
##
## Honours the contract in CONTRACTS.md: `load(path)` imports a VRM 0.x or 1.0 file with
## GLTFDocument and returns {"ok": true, "node", "info"} or {"ok": false, "code", "message"}.
class_name VrmLoader
extends RefCounted

const VrmAvatar := preload("res://scripts/vrm/vrm_avatar.gd")


## Registers the loader's GLTFDocumentExtension; the stand-in has none (the stage calls this
## once at startup).
static func register_extension() -> void:
	pass


## Removes it again (the stage's --bench measures Godot's own import without it).
static func unregister_extension() -> void:
	pass


static func load(path: String) -> Dictionary:
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	var err := document.append_from_file(path, state)
	if err != OK:
		return _fail("import-failed", "GLTFDocument could not read the file (%s)" % error_string(err))
	var used: Array = state.json.get("extensionsUsed", [])
	var version := ""
	if "VRMC_vrm" in used:
		version = "1.0"
	elif "VRM" in used:
		version = "0.x"
	else:
		return _fail("not-vrm", "the file is glTF but declares neither VRM nor VRMC_vrm")
	var scene := document.generate_scene(state)
	if scene == null:
		return _fail("import-failed", "GLTFDocument produced no scene")
	var avatar := VrmAvatar.new()
	avatar.name = "Avatar"
	if version == "0.x":
		scene.rotate_y(PI)  # VRM 0.x models face -Z; the stage camera looks at +Z faces.
	avatar.add_child(scene)
	var meshes := avatar.find_children("*", "MeshInstance3D", true, false)
	var bones := 0
	for skeleton in avatar.find_children("*", "Skeleton3D", true, false):
		bones += (skeleton as Skeleton3D).get_bone_count()
	return {
		"ok": true,
		"node": avatar,
		"info": {
			"vrmVersion": version, "meshCount": meshes.size(), "boneCount": bones,
			"humanoidBones": 0, "expressions": PackedStringArray(), "springChains": 0,
			"mtoonMaterials": 0,
		},
	}


static func _fail(code: String, message: String) -> Dictionary:
	return {"ok": false, "code": code, "message": message}
