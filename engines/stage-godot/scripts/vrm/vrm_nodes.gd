## Finds what Godot built for a glTF node index after `generate_scene`: a bone of a
## Skeleton3D, or a scene node (tagged by VrmExtension). Every later step (humanoid,
## expressions, springs, look-at) addresses the model through this one place.
extends RefCounted

const VrmExtension := preload("res://scripts/vrm/vrm_extension.gd")

var _state: GLTFState
var _tagged := {}  # glTF node index -> Array[Node]


func _init(state: GLTFState, root: Node) -> void:
	_state = state
	_collect(root)


func _collect(node: Node) -> void:
	if node.has_meta(VrmExtension.NODE_META):
		var index: int = node.get_meta(VrmExtension.NODE_META)
		if not _tagged.has(index):
			_tagged[index] = []
		_tagged[index].append(node)
	for child in node.get_children():
		_collect(child)


## {"skeleton": Skeleton3D, "bone": int} for a bone, {"node": Node3D} for a scene node, {} if unknown.
func target(index: int) -> Dictionary:
	var nodes := _state.get_nodes()
	if index < 0 or index >= nodes.size():
		return {}
	var gltf_node: GLTFNode = nodes[index]
	if gltf_node.skeleton >= 0 and gltf_node.skeleton < _state.get_skeletons().size():
		var skeleton: Skeleton3D = _state.get_skeletons()[gltf_node.skeleton].get_godot_skeleton()
		if skeleton != null:
			var bone := skeleton.find_bone(gltf_node.resource_name)
			if bone >= 0:
				return {"skeleton": skeleton, "bone": bone}
	for node in _tagged.get(index, []):
		if node is Node3D and not node is BoneAttachment3D:
			return {"node": node}
	return {}


## The mesh instances built for one glTF node.
func meshes_of_node(index: int) -> Array:
	var out: Array = []
	for node in _tagged.get(index, []):
		if node is MeshInstance3D:
			out.append(node)
		else:
			for child in node.get_children():
				if child is MeshInstance3D and not out.has(child):
					out.append(child)
	return out


## The mesh instances of every glTF node that uses glTF mesh `mesh_index` (VRM 0.x binds).
func meshes_of_mesh(mesh_index: int) -> Array:
	var out: Array = []
	var nodes := _state.get_nodes()
	for i in nodes.size():
		if nodes[i].mesh == mesh_index:
			for mesh in meshes_of_node(i):
				if not out.has(mesh):
					out.append(mesh)
	return out
