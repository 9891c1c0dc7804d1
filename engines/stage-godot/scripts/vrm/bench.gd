## Measures, in one Godot run: Godot's bare glTF import of each file (GLTFDocument without
## our extension) against VrmLoader.load (with it, avatar built), and the cost of one
## avatar frame (expressions, blinking, breathing, look-at, all spring chains) per file.
## Prints ONE JSON line. Run: godot --headless --path engines/stage-godot --script
## res://scripts/vrm/bench.gd -- [--repeat N] [--frames N] FILE...
extends SceneTree

const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")


func _initialize() -> void:
	process_frame.connect(_run, CONNECT_ONE_SHOT)


func _run() -> void:
	var repeat := 7
	var frames := 600
	var files: Array = []
	var args := OS.get_cmdline_user_args()
	var i := 0
	while i < args.size():
		if args[i] == "--repeat":
			repeat = int(args[i + 1])
			i += 1
		elif args[i] == "--frames":
			frames = int(args[i + 1])
			i += 1
		else:
			files.append(args[i])
		i += 1
	var results: Array = []
	for path in files:
		results.append(_bench_file(path, repeat, frames))
	print(JSON.stringify({"ok": true, "repeat": repeat, "frames": frames, "files": results}))
	quit(0)


func _bench_file(path: String, repeat: int, frames: int) -> Dictionary:
	var bare: Array = []
	var ours: Array = []
	# Warm both paths once (file cache, shader variants), then alternate them.
	_bare_import(path)
	_our_import(path)
	for r in repeat:
		bare.append(_bare_import(path))
		ours.append(_our_import(path))
	bare.sort()
	ours.sort()
	var bare_ms: float = bare[bare.size() / 2]
	var ours_ms: float = ours[ours.size() / 2]
	var result := {"file": path.get_file(), "bareMs": bare_ms, "vrmMs": ours_ms,
		"ratio": ours_ms / maxf(bare_ms, 0.001)}
	result.merge(_frame_cost(path, frames))
	return result


func _bare_import(path: String) -> float:
	VrmLoaderScript.unregister_extension()
	var started := Time.get_ticks_usec()
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	document.append_from_file(path, state)
	var scene := document.generate_scene(state)
	var elapsed := (Time.get_ticks_usec() - started) / 1000.0
	if scene != null:
		scene.free()
	VrmLoaderScript.register_extension()
	return elapsed


func _our_import(path: String) -> float:
	VrmLoaderScript.register_extension()
	var started := Time.get_ticks_usec()
	var result: Dictionary = VrmLoaderScript.load(path)
	var elapsed := (Time.get_ticks_usec() - started) / 1000.0
	if result["ok"]:
		result["node"].free()
	return elapsed


## Average and worst time of one avatar frame at 60 fps, in microseconds.
func _frame_cost(path: String, frames: int) -> Dictionary:
	var result: Dictionary = VrmLoaderScript.load(path)
	if not result["ok"]:
		return {}
	var avatar: Node3D = result["node"]
	root.add_child(avatar)
	var springs: Node = avatar.get_node("SpringBones")
	var camera := Camera3D.new()
	camera.position = Vector3(0, 1.4, 2.5)
	root.add_child(camera)
	camera.make_current()
	var total := 0.0
	var worst := 0.0
	for f in frames:
		avatar.position.y = 0.05 * sin(f * 0.2)  # keep the chains moving
		var started := Time.get_ticks_usec()
		avatar._process(1.0 / 60.0)
		springs.advance(1.0 / 60.0)
		var elapsed := float(Time.get_ticks_usec() - started)
		total += elapsed
		worst = maxf(worst, elapsed)
	var joints: int = springs.joint_count()
	avatar.free()
	camera.free()
	return {"springChains": result["info"]["springChains"], "springJoints": joints,
		"frameUs": total / frames, "worstFrameUs": worst}
