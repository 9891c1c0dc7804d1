## Renders one VRM front view to a PNG (needs a display: run under Xvfb with
## `--rendering-driver opengl3`), framed from the avatar's bounds, so fidelity can be seen.
## Run: godot --path engines/stage-godot --rendering-driver opengl3 --script
##      res://scripts/vrm/render.gd -- FILE OUT.png [WIDTHxHEIGHT]
extends SceneTree

const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")

var _frames := 0
var _out := ""


func _initialize() -> void:
	process_frame.connect(_setup, CONNECT_ONE_SHOT)


func _setup() -> void:
	var args := OS.get_cmdline_user_args()
	if args.size() < 2:
		printerr("usage: render.gd -- FILE OUT.png [WxH]")
		quit(2)
		return
	_out = args[1]
	var size := Vector2i(512, 768)
	if args.size() > 2 and "x" in args[2]:
		size = Vector2i(int(args[2].get_slice("x", 0)), int(args[2].get_slice("x", 1)))
	root.size = size
	var result: Dictionary = VrmLoaderScript.load(args[0])
	if not result["ok"]:
		print(JSON.stringify(result))
		quit(1)
		return
	var avatar: Node3D = result["node"]
	root.add_child(avatar)
	var environment := WorldEnvironment.new()
	environment.environment = Environment.new()
	environment.environment.background_mode = Environment.BG_COLOR
	environment.environment.background_color = Color(0.16, 0.17, 0.2)
	environment.environment.ambient_light_source = Environment.AMBIENT_SOURCE_COLOR
	environment.environment.ambient_light_color = Color(0.55, 0.55, 0.6)
	root.add_child(environment)
	var light := DirectionalLight3D.new()
	light.rotation_degrees = Vector3(-35, 25, 0)
	root.add_child(light)
	var bounds: AABB = avatar.get_bounds()
	var camera := Camera3D.new()
	camera.fov = 30.0
	var centre := bounds.get_center()
	var height := maxf(bounds.size.y, bounds.size.x * float(size.y) / size.x)
	var distance := height * 0.5 / tan(deg_to_rad(camera.fov * 0.5)) * 1.1 + bounds.end.z
	camera.position = Vector3(centre.x, centre.y, distance)
	root.add_child(camera)
	camera.look_at(centre)
	camera.make_current()
	process_frame.connect(_tick)


func _tick() -> void:
	_frames += 1
	if _frames < 4:
		return
	var image := root.get_texture().get_image()
	image.save_png(_out)
	print(JSON.stringify({"ok": true, "out": _out, "size": [image.get_width(), image.get_height()]}))
	quit(0)
