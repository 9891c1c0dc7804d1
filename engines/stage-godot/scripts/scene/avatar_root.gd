## Holds the one shown avatar and replaces it atomically.
##
## A new model is imported into a detached node first; only a verified, non-empty node
## is added and swapped in, and the old one is freed after. Any failure leaves the old
## avatar in place and returns an error code instead.
extends Node3D

signal avatar_changed(avatar: Node3D)

const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")

var current: Node3D = null
var current_sha256 := ""


## Imports `path` (which must hash to `sha256`) and shows it. Returns {"ok": true, "info"}
## (the loader's info, importMs included) or {"ok": false, "code", "message"}.
func apply(path: String, sha256: String) -> Dictionary:
	if not FileAccess.file_exists(path):
		return _fail("not-found", "no file at %s" % path)
	var actual := FileAccess.get_sha256(path)
	if actual != sha256:
		return _fail("sha256-mismatch", "file hash %s does not match %s" % [actual, sha256])
	var result: Dictionary = VrmLoaderScript.load(path)
	if not result.get("ok", false):
		return _fail(result.get("code", "import-failed"), result.get("message", "import failed"))
	var node: Node3D = result["node"]
	if node.find_children("*", "VisualInstance3D", true, false).is_empty():
		node.free()
		return _fail("empty-scene", "the model has nothing to show")
	var node_name := node.name
	add_child(node)  # beside the old one for now, so under a generated name
	var old := current
	current = node
	current_sha256 = sha256
	if old != null:
		remove_child(old)
		old.queue_free()
	node.name = node_name  # the remote scene tree shows one stable name (VrmAvatar)
	avatar_changed.emit(node)
	return {"ok": true, "info": result["info"]}


## Sets an expression on the shown avatar. Returns {"known": false} when there is no avatar
## or it lacks the name, else {"known": true, "key": the avatar's own name for it, "values":
## the blend-shape weights and material values it drives, read back after the change}.
func set_expression(expression_name: String, weight: float) -> Dictionary:
	if current == null or not current.has_method("set_expression"):
		return {"known": false}
	if not current.set_expression(expression_name, weight):
		return {"known": false}
	return {
		"known": true, "key": current.resolve_expression(expression_name),
		"values": current.expression_values(expression_name),
	}


func _fail(code: String, message: String) -> Dictionary:
	return {"ok": false, "code": code, "message": message}
