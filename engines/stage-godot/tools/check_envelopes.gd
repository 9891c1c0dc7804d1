## Runs the GDScript envelope parser over a folder of sample frames and prints one JSON line
## per file: {"file", "ok", "code"}. Used by tests/godot to keep both parsers in step.
## Usage: godot --headless --path engines/stage-godot --script res://tools/check_envelopes.gd
##        -- --samples=DIR
extends SceneTree

const Envelope := preload("res://scripts/transport/envelope.gd")


func _initialize() -> void:
	var folder := ""
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--samples="):
			folder = arg.trim_prefix("--samples=")
	var dir := DirAccess.open(folder)
	if dir == null:
		printerr("cannot open samples folder %s" % folder)
		quit(2)
		return
	var names := dir.get_files()
	names.sort()
	for file_name in names:
		if not file_name.ends_with(".json"):
			continue
		var text := FileAccess.get_file_as_string(folder.path_join(file_name)).strip_edges()
		var result := Envelope.parse(text)
		print(JSON.stringify({
			"file": file_name, "ok": result["ok"], "code": result.get("code", ""),
			"re": result.get("re", ""),
		}))
	quit(0)
