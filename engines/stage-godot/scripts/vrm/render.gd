## Renders VRM files front on, one PNG each, framed from the avatar's bounds, and
## optionally tiles them into a contact sheet. Needs a display (Xvfb) and
## `--rendering-driver opengl3`. Prints ONE JSON line with, per file, the rectangle of
## avatar pixels (the background is transparent) and where the head bone lands on screen.
## Run: godot --path engines/stage-godot --rendering-driver opengl3 --script
##      res://scripts/vrm/render.gd -- OUTDIR [--size WxH] [--sheet SHEET.png] FILE...
extends SceneTree

const VrmLoaderScript := preload("res://scripts/vrm/vrm_loader.gd")
const SHEET_BACKGROUND := Color(0.16, 0.17, 0.2)
const SETTLE_FRAMES := 3

var _out_dir := ""
var _sheet := ""
var _size := Vector2i(384, 576)
var _files: Array = []
var _results: Array = []
var _images: Array = []
var _current: Node3D
var _camera: Camera3D
var _wait := 0


func _initialize() -> void:
	process_frame.connect(_setup, CONNECT_ONE_SHOT)


func _setup() -> void:
	var args := OS.get_cmdline_user_args()
	var i := 0
	while i < args.size():
		match args[i]:
			"--size":
				_size = Vector2i(int(args[i + 1].get_slice("x", 0)), int(args[i + 1].get_slice("x", 1)))
				i += 1
			"--sheet":
				_sheet = args[i + 1]
				i += 1
			_:
				if _out_dir.is_empty():
					_out_dir = args[i]
				else:
					_files.append(args[i])
		i += 1
	if _out_dir.is_empty() or _files.is_empty():
		printerr("usage: render.gd -- OUTDIR [--size WxH] [--sheet SHEET.png] FILE...")
		quit(2)
		return
	DirAccess.make_dir_recursive_absolute(_out_dir)
	root.size = _size
	root.transparent_bg = true
	var environment := WorldEnvironment.new()
	environment.environment = Environment.new()
	environment.environment.background_mode = Environment.BG_CLEAR_COLOR
	environment.environment.ambient_light_source = Environment.AMBIENT_SOURCE_COLOR
	environment.environment.ambient_light_color = Color(0.55, 0.55, 0.6)
	root.add_child(environment)
	var light := DirectionalLight3D.new()
	light.rotation_degrees = Vector3(-35, 25, 0)
	root.add_child(light)
	_camera = Camera3D.new()
	_camera.fov = 30.0
	root.add_child(_camera)
	_camera.make_current()
	process_frame.connect(_tick)
	_next()


func _next() -> void:
	if _current != null:
		_current.queue_free()
		_current = null
	if _files.is_empty():
		_finish()
		return
	var path: String = _files.pop_front()
	var result: Dictionary = VrmLoaderScript.load(path)
	if not result["ok"]:
		_results.append({"file": path.get_file(), "ok": false, "code": result["code"]})
		_next()
		return
	_current = result["node"]
	_current.set_meta(&"path", path)
	_current.auto_blink = false
	root.add_child(_current)
	var bounds: AABB = _current.get_bounds()
	var centre := bounds.get_center()
	var aspect := float(_size.x) / _size.y
	var height := maxf(bounds.size.y, bounds.size.x / aspect)
	var distance := height * 0.5 / tan(deg_to_rad(_camera.fov * 0.5)) * 1.12 + bounds.end.z
	_camera.position = Vector3(centre.x, centre.y, distance)
	_camera.look_at(centre)
	_wait = SETTLE_FRAMES


func _tick() -> void:
	if _current == null:
		return
	_wait -= 1
	if _wait > 0:
		return
	var image := root.get_texture().get_image()
	var path: String = _current.get_meta(&"path")
	var out := _out_dir.path_join(path.get_file().get_basename() + ".png")
	image.save_png(out)
	_images.append(image)
	var used := image.get_used_rect()
	var head = null
	var skeleton: Skeleton3D = _current.skeleton
	if skeleton != null and skeleton.find_bone("Head") >= 0:
		var world := skeleton.global_transform * skeleton.get_bone_global_pose(skeleton.find_bone("Head")).origin
		var screen := _camera.unproject_position(world)
		head = [screen.x, screen.y]
	_results.append({"file": path.get_file(), "ok": true, "png": out, "size": [image.get_width(), image.get_height()],
		"used": [used.position.x, used.position.y, used.size.x, used.size.y], "head": head})
	_next()


func _finish() -> void:
	if not _sheet.is_empty() and not _images.is_empty():
		_write_sheet()
	print(JSON.stringify({"ok": true, "files": _results, "sheet": _sheet}))
	quit(0)


## Tiles every render on a dark background, four per row.
func _write_sheet() -> void:
	var columns := mini(4, _images.size())
	var rows := ceili(float(_images.size()) / columns)
	var sheet := Image.create(_size.x * columns, _size.y * rows, false, Image.FORMAT_RGBA8)
	sheet.fill(SHEET_BACKGROUND)
	for i in _images.size():
		var image: Image = _images[i]
		image.convert(Image.FORMAT_RGBA8)
		var at := Vector2i((i % columns) * _size.x, (i / columns) * _size.y)
		sheet.blend_rect(image, Rect2i(Vector2i.ZERO, image.get_size()), at)
	sheet.convert(Image.FORMAT_RGB8)
	sheet.save_png(_sheet)
