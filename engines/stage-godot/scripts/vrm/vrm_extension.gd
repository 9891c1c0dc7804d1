## Our glTF importer extension: it recognises VRM 0.x (`VRM`) and 1.0 (`VRMC_vrm`) while
## Godot parses the file, keeps the parsed VRM description on the GLTFState for the loader,
## and tags generated nodes with their glTF node index (the tag survives Godot's
## ImporterMeshInstance3D -> MeshInstance3D conversion, a raw node reference does not).
class_name VrmExtension
extends GLTFDocumentExtension

const VrmSchema := preload("res://scripts/vrm/vrm_schema.gd")

## GLTFState additional-data key holding the VrmSchema.parse() result.
const STATE_KEY := &"companion_vrm"
## Node meta key holding the glTF node index a generated node came from.
const NODE_META := &"vrm_gltf_node"
const STATE_INDEX_KEY := &"companion_vrm_node_index"


func _get_supported_extensions() -> PackedStringArray:
	return PackedStringArray([
		"VRM", "VRMC_vrm", "VRMC_materials_mtoon", "VRMC_springBone",
		"VRMC_springBone_extended_collider", "VRMC_node_constraint",
		"VRMC_materials_hdr_emissiveMultiplier",
	])


func _import_preflight(state: GLTFState, _extensions: PackedStringArray) -> Error:
	var json: Dictionary = state.json
	var version := VrmSchema.detect_version(json)
	if version.is_empty():
		# Not ours: Godot leaves this extension out of the rest of the import.
		return ERR_SKIP
	var vrm := VrmSchema.parse(json, version)
	state.set_additional_data(STATE_KEY, vrm)
	# Humanoid bones that no skin uses would become plain Node3Ds; importing every node as a
	# bone of one skeleton gives them a Skeleton3D (meshes then ride on BoneAttachment3Ds).
	if not _humanoid_all_skinned(json, vrm["humanoid"]):
		state.import_as_skeleton_bones = true
	return OK


func _import_post_parse(state: GLTFState) -> Error:
	var index_of := {}
	var nodes := state.get_nodes()
	for i in nodes.size():
		index_of[nodes[i]] = i
	state.set_additional_data(STATE_INDEX_KEY, index_of)
	return OK


func _import_node(state: GLTFState, gltf_node: GLTFNode, _json: Dictionary, node: Node) -> Error:
	var index_of: Dictionary = state.get_additional_data(STATE_INDEX_KEY)
	if index_of.has(gltf_node):
		node.set_meta(NODE_META, index_of[gltf_node])
	return OK


static func _humanoid_all_skinned(json: Dictionary, humanoid: Dictionary) -> bool:
	var joints := {}
	for skin in json.get("skins", []):
		for joint in skin.get("joints", []):
			joints[int(joint)] = true
	if joints.is_empty():
		return false
	for bone in humanoid:
		if not joints.has(humanoid[bone]):
			return false
	return true
