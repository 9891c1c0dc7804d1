## The stage: connects to the host's bridge, applies scenes, and quits when the bridge closes.
##
## User arguments (after `--`): --bridge-url=ws://127.0.0.1:PORT/stage, window flags
## --borderless --transparent --always-on-top --position=X,Y --size=WxH, and
## --screenshot=PATH (save a frame after each applied avatar), --bench (after each applied
## avatar, time a bare GLTFDocument import of the same file and log it, for
## bench/stage_bench.py), --trace-expressions (answer each avatar.expression with a debug
## log of the values it drove, for tests and debugging). The bridge token comes from
## the environment variable COMPANION_STAGE_BRIDGE_TOKEN, never from argv.
##
## Two debug arguments exist only so tests can drive the real stage into paths a healthy
## stage never takes; nothing in the app passes them:
## --debug-break-vrm-extension: do not register the VRM glTF extension, so the start-up check
##   finds it missing and the stage reports stage.fatal (as it would if registration failed);
## --debug-ignore-shutdown: log stage.shutdown and ignore it, so the host's stop has to
##   escalate to SIGTERM and SIGKILL.
##
## An unrecoverable condition found at start-up (the VRM extension not registered, the scene
## without its AvatarRoot or camera) is answered with stage.fatal {message} instead of
## stage.ready; the stage then shows nothing, waits for the host to close the bridge (at most
## FATAL_QUIT_S) and quits with FATAL_EXIT_CODE.
extends Node3D

const BridgeClient := preload("res://scripts/transport/bridge_client.gd")
const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")
const TOKEN_ENV := "COMPANION_STAGE_BRIDGE_TOKEN"
const SCREENSHOT_FRAMES := 3
## Headless Godot sleeps this long between idle frames; short enough that a scene.apply
## waits about a millisecond for the main loop, long enough to cost next to no CPU.
const HEADLESS_FRAME_SLEEP_USEC := 1000
## How often the window geometry is checked; a change is reported once it held for a check.
const WINDOW_CHECK_S := 0.3
## Exit code after stage.fatal; how long the stage waits for the host to close the bridge then.
const FATAL_EXIT_CODE := 5
const FATAL_QUIT_S := 5.0
## glTF extensions that must be registered for VRM files to import (VRM 0.x and 1.0).
const VRM_GLTF_EXTENSIONS := ["VRM", "VRMC_vrm"]

var _options := {}
var _bridge: Node = null
## The newest scene.apply not yet started; older ones still queued are answered "superseded".
var _pending_apply := {}
## Window geometry last reported to the host, and the one seen at the last check.
var _reported_rect := Rect2i()
var _seen_rect := Rect2i()
var _window_check_left := 0.0
## Unknown expression names already reported for the current avatar.
var _warned_expressions := {}
## Why the stage cannot work ("" when it can); sent as stage.fatal in place of stage.ready.
var _fatal := ""
var _fatal_sent := false

@onready var _avatar_root: Node3D = $AvatarRoot
@onready var _camera: Camera3D = $Camera
@onready var _light: DirectionalLight3D = $Light
@onready var _fill_light: DirectionalLight3D = $FillLight


func _ready() -> void:
	_options = _parse_args(OS.get_cmdline_user_args())
	if not _options.has("debug-break-vrm-extension"):
		VrmLoaderScript.register_extension()
	_fatal = _startup_fault()
	if not _fatal.is_empty():
		printerr("stage: fatal: %s" % _fatal)
	_light.look_at_from_position(Vector3(1.5, 3.0, 3.0), Vector3(0, 1, 0), Vector3.UP)
	_fill_light.look_at_from_position(Vector3(-2.0, 1.5, 1.0), Vector3(0, 1, 0), Vector3.UP)
	_setup_window()
	if DisplayServer.get_name() == "headless":
		OS.low_processor_usage_mode_sleep_usec = HEADLESS_FRAME_SLEEP_USEC
	var url: String = _options.get("bridge-url", "")
	if url.is_empty():
		if not _fatal.is_empty():
			get_tree().quit(FATAL_EXIT_CODE)
			return
		print("stage: no --bridge-url given; showing an empty stage")
		return
	var token := OS.get_environment(TOKEN_ENV)
	OS.unset_environment(TOKEN_ENV)
	_bridge = BridgeClient.new()
	_bridge.name = "Bridge"
	add_child(_bridge)
	_bridge.welcomed.connect(_on_welcomed)
	_bridge.message_received.connect(_on_message)
	_bridge.bridge_closed.connect(_on_bridge_closed)
	var err: Error = _bridge.open(url, token, "godot %s" % Engine.get_version_info()["string"])
	if err != OK:
		printerr("stage: cannot connect to %s (%s)" % [url, error_string(err)])
		get_tree().quit(3)


func _process(delta: float) -> void:
	if _bridge == null or DisplayServer.get_name() == "headless":
		return
	_window_check_left -= delta
	if _window_check_left > 0.0:
		return
	_window_check_left = WINDOW_CHECK_S
	var window := get_window()
	var rect := Rect2i(window.position, window.size)
	if _reported_rect == Rect2i():
		_reported_rect = rect  # where the host placed it: nothing to report
	elif rect == _seen_rect and rect != _reported_rect:
		_reported_rect = rect
		_bridge.send("stage.window", {
			"x": rect.position.x, "y": rect.position.y, "width": rect.size.x,
			"height": rect.size.y,
		})
	_seen_rect = rect


## What stops the stage from working at all, found at start-up ("" when nothing does).
func _startup_fault() -> String:
	if _avatar_root == null or not _avatar_root.has_method("apply"):
		return "the stage scene has no AvatarRoot that can show avatars"
	if _camera == null or not _camera.has_method("frame"):
		return "the stage scene has no camera that can frame avatars"
	var supported := GLTFDocument.get_supported_gltf_extensions()
	for extension in VRM_GLTF_EXTENSIONS:
		if not supported.has(extension):
			return ("the VRM glTF extension is not registered with Godot's GLTFDocument (%s " +
					"unsupported), so no VRM file could be imported") % extension
	return ""


func _on_welcomed() -> void:
	if not _fatal.is_empty():
		_send_fatal()
		return
	var renderer := "%s/%s" % [
		RenderingServer.get_current_rendering_driver_name(),
		RenderingServer.get_current_rendering_method(),
	]
	_bridge.send("stage.ready", {
		"protocol": 1, "godot": Engine.get_version_info()["string"], "renderer": renderer,
	})


## Tells the host the stage cannot go on; the host closes the bridge (the stage then quits),
## and if it does not, the stage quits by itself after FATAL_QUIT_S.
func _send_fatal() -> void:
	_fatal_sent = true
	_bridge.send("stage.fatal", {"message": _fatal})
	get_tree().create_timer(FATAL_QUIT_S).timeout.connect(func() -> void:
		_bridge.close()
		get_tree().quit(FATAL_EXIT_CODE))


func _on_message(envelope: Dictionary) -> void:
	if _fatal_sent:
		return  # nothing more is done once stage.fatal went out; the host closes the bridge
	var payload: Dictionary = envelope["payload"]
	match envelope["type"]:
		"scene.apply":
			if _pending_apply.is_empty():
				_apply_pending.call_deferred()
			else:
				var stale: Dictionary = _pending_apply["payload"]
				_bridge.send("scene.error", {
					"modelId": stale["modelId"], "code": "superseded",
					"message": "a newer scene.apply arrived before this one started",
				}, _pending_apply["id"])
			_pending_apply = envelope
		"avatar.expression":
			_set_expression(envelope["id"], payload["name"], payload["weight"])
		"stage.shutdown":
			if _options.has("debug-ignore-shutdown"):
				print("stage: stage.shutdown ignored (--debug-ignore-shutdown)")
				_bridge.send("log", {"level": "info",
						"message": "stage.shutdown ignored (--debug-ignore-shutdown)"}, envelope["id"])
				return
			_bridge.close()
			get_tree().quit(0)


func _apply_pending() -> void:
	var envelope := _pending_apply
	_pending_apply = {}
	if not envelope.is_empty():
		_apply(envelope["id"], envelope["payload"])


func _apply(request_id: String, payload: Dictionary) -> void:
	var result: Dictionary = _avatar_root.apply(payload["path"], payload["sha256"])
	if not result["ok"]:
		# The loader names the content-addressed copy (<sha256>.vrm); the user knows the name.
		var message: String = result["message"]
		var model_name: String = payload["name"]
		if not model_name.is_empty():
			message = message.replace(String(payload["path"]).get_file(), model_name)
		printerr("stage: %s refused (%s): %s" % [model_name, result["code"], message])
		_bridge.send("scene.error", {
			"modelId": payload["modelId"], "code": result["code"], "message": message,
		}, request_id)
		_bridge.send("log", {"level": "info", "message": "scene: still showing %s" % (
				_avatar_root.current_sha256 if _avatar_root.current != null else "nothing")}, request_id)
		return
	var info: Dictionary = result["info"]
	_camera.frame(_avatar_root.current)
	_warned_expressions.clear()
	_bridge.send("scene.applied", {
		"modelId": payload["modelId"], "sha256": payload["sha256"],
		"vrmVersion": info["vrmVersion"], "importMs": info["importMs"],
		"meshCount": info["meshCount"], "boneCount": info["boneCount"],
		"humanoidBones": info["humanoidBones"], "expressions": Array(info["expressions"]),
		"springChains": info["springChains"], "mtoonMaterials": info["mtoonMaterials"],
	}, request_id)
	if _options.has("bench"):
		_log_bare_import.call_deferred(payload["path"], request_id)
	var screenshot: String = _options.get("screenshot", "")
	if not screenshot.is_empty():
		_save_screenshot.call_deferred(screenshot, request_id)


## Sets an expression on the current avatar. A name the avatar lacks is reported once per
## avatar (log warning); with --trace-expressions every call is answered by a debug log
## that reads the driven blend-shape and material values back from the avatar.
func _set_expression(request_id: String, expression_name: String, weight: float) -> void:
	var result: Dictionary = _avatar_root.set_expression(expression_name, weight)
	if not result["known"]:
		if not _warned_expressions.has(expression_name):
			_warned_expressions[expression_name] = true
			_bridge.send("log", {"level": "warning", "message": "expression: %s is not an expression of %s" % [
				expression_name, "this avatar" if _avatar_root.current != null else "an empty stage"]},
					request_id)
		return
	if _options.has("trace-expressions"):
		_bridge.send("log", {"level": "debug", "message": "expression: %s=%.3f -> %s values %s" % [
			expression_name, weight, result["key"], JSON.stringify(result["values"])]}, request_id)


func _save_screenshot(path: String, request_id: String) -> void:
	for i in SCREENSHOT_FRAMES:
		await RenderingServer.frame_post_draw
	var image := get_viewport().get_texture().get_image()
	var err := image.save_png(path)
	if err == OK:
		_bridge.send("log", {"level": "info", "message": "screenshot saved: %s" % path}, request_id)
	else:
		_bridge.send("log", {
			"level": "error", "message": "screenshot failed: %s" % error_string(err),
		}, request_id)


func _log_bare_import(path: String, request_id: String) -> void:
	VrmLoaderScript.unregister_extension()  # Godot's own import, without our VRM extension
	var started := Time.get_ticks_usec()
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	var err := document.append_from_file(path, state)
	var scene := document.generate_scene(state) if err == OK else null
	var bare_ms := (Time.get_ticks_usec() - started) / 1000.0
	VrmLoaderScript.register_extension()
	if scene != null:
		scene.free()
	_bridge.send("log", {"level": "debug", "message": "bench: bare-import-ms=%.3f" % bare_ms},
			request_id)


func _on_bridge_closed(code: int, reason: String) -> void:
	print("stage: bridge closed (%d %s); quitting" % [code, reason])
	if _fatal_sent:
		get_tree().quit(FATAL_EXIT_CODE)
	else:
		get_tree().quit(0 if code == 1000 else 4)


func _setup_window() -> void:
	if DisplayServer.get_name() == "headless":
		return
	var window := get_window()
	window.borderless = _options.has("borderless")
	window.always_on_top = _options.has("always-on-top")
	if _options.has("transparent"):
		window.transparent = true
		get_viewport().transparent_bg = true
	var size_text: String = _options.get("size", "")
	if size_text.contains("x"):
		window.size = Vector2i(size_text.get_slice("x", 0).to_int(), size_text.get_slice("x", 1).to_int())
	var position_text: String = _options.get("position", "")
	if position_text.contains(","):
		window.position = Vector2i(position_text.get_slice(",", 0).to_int(),
				position_text.get_slice(",", 1).to_int())


static func _parse_args(args: PackedStringArray) -> Dictionary:
	var options := {}
	for arg in args:
		if not arg.begins_with("--"):
			continue
		var pair := arg.trim_prefix("--").split("=", true, 1)
		options[pair[0]] = pair[1] if pair.size() > 1 else ""
	return options
