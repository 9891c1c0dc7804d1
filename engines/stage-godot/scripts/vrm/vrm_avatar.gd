## The avatar root the stage shows: one expression API over VRM 0.x and 1.0 (names in the
## VRM 1.0 vocabulary; 0.x names accepted too), plus the small signs of life a companion
## needs: blinking at natural random intervals, a subtle breathing idle, and head and eyes
## that follow the camera when the model has look-at data.
class_name VrmAvatar
extends Node3D

const VrmSchema := preload("res://scripts/vrm/vrm_schema.gd")
const VrmMToon := preload("res://scripts/vrm/vrm_mtoon.gd")

const BLINK_NAMES := ["blink", "blinkLeft", "blinkRight"]
const MOUTH_NAMES := ["aa", "ih", "ou", "ee", "oh"]
const LOOK_NAMES := ["lookUp", "lookDown", "lookLeft", "lookRight"]
const BREATH_PERIOD := 4.6  # seconds per breath, a calm resting rate
const BREATH_DEGREES := {"Spine": 0.5, "Chest": 0.9, "UpperChest": 0.6}
const HEAD_YAW_LIMIT := deg_to_rad(35.0)
const HEAD_PITCH_LIMIT := deg_to_rad(20.0)
const HEAD_SHARE := 0.55  # the head turns this part of the way; the eyes do the rest
## VRMs are modelled in a T-pose; a companion stands with its arms down and elbows soft.
const ARM_DOWN_DEGREES := 68.0
const ELBOW_BEND_DEGREES := 12.0

## What VrmLoader reports (also in scene.applied).
var info := {}
## SkeletonProfileHumanoid names -> bone names of `skeleton` (identical after import).
var bone_map: BoneMap
## The humanoid skeleton, or null for a model without one.
var skeleton: Skeleton3D
## The avatar's bounds in its own space, after the feet were put on the floor.
var bounds := AABB()
var auto_blink := true
var breathing := true
var look_at_camera := true
## Arms down instead of the T-pose the model was made in (read when the avatar enters the tree).
var relaxed_pose := true
## Looked at instead of the current camera when set.
var look_target: Node3D

var _expressions := {}  # name -> {is_binary, override_*, binds: [[target index, weight]]}
var _targets: Array = []  # [MeshInstance3D, blend shape index]
var _material_targets: Array = []  # [Material, bind kind, value at rest]
var _weights := {}  # user weights by expression name
var _auto := {}  # weights driven by blinking and look-at
var _forward := Vector3.BACK  # where the face points in skeleton space
var _look_at := {}
var _rng := RandomNumberGenerator.new()
var _blink_wait := 2.0
var _blink_time := -1.0
var _breath_time := 0.0
var _look := Vector2.ZERO  # smoothed yaw, pitch (radians)
var _dirty := true


func _ready() -> void:
	_rng.randomize()
	_blink_wait = _next_blink_wait()
	# Posed here, in the tree: a Skeleton3D outside it does not refresh its global poses.
	if skeleton != null and relaxed_pose:
		_relax_arms()


## Called once by VrmLoader; `parts` holds the resolved pieces of the model.
func setup(parts: Dictionary) -> void:
	info = parts["info"]
	bone_map = parts["bone_map"]
	skeleton = parts["skeleton"]
	bounds = parts["bounds"]
	_forward = parts["forward"]
	_look_at = parts["look_at"]
	var target_index := {}
	for expression in parts["expressions"]:
		var binds: Array = []
		for bind in expression["binds"]:
			var mesh: MeshInstance3D = bind["mesh"]
			var key := "%d:%d" % [mesh.get_instance_id(), bind["index"]]
			if not target_index.has(key):
				target_index[key] = _targets.size()
				_targets.append([mesh, bind["index"]])
			binds.append([target_index[key], bind["weight"]])
		var material_binds: Array = []
		for bind in expression["material_binds"]:
			var material: Material = bind["material"]
			var key := "%d:%s" % [material.get_instance_id(), bind["kind"]]
			if not target_index.has(key):
				target_index[key] = _material_targets.size()
				_material_targets.append([material, bind["kind"], VrmMToon.get_bound(material, bind["kind"])])
			material_binds.append([target_index[key], bind["target"]])
		_expressions[expression["name"]] = {
			"material_binds": material_binds,
			"is_binary": expression["is_binary"],
			"override_blink": expression["override_blink"],
			"override_mouth": expression["override_mouth"],
			"override_look_at": expression["override_look_at"],
			"binds": binds,
		}


## Sets one expression (VRM 1.0 name such as "aa", "blink", "happy"; VRM 0.x names such as
## "a" or "joy" work too) to `weight` in 0..1. Returns false for a name the model lacks.
func set_expression(name: String, weight: float) -> bool:
	var key := resolve_expression(name)
	if key.is_empty():
		return false
	_weights[key] = clampf(weight, 0.0, 1.0)
	_apply()
	return true


func get_expression(name: String) -> float:
	return _weights.get(resolve_expression(name), 0.0)


func expression_names() -> PackedStringArray:
	return PackedStringArray(_expressions.keys())


## The blend shapes an expression drives: [{"mesh": mesh node name, "index", "shape", "weight"}].
func expression_binds(name: String) -> Array:
	var out: Array = []
	var key := resolve_expression(name)
	if key.is_empty():
		return out
	for bind in _expressions[key]["binds"]:
		var target: Array = _targets[bind[0]]
		var mesh: MeshInstance3D = target[0]
		var shape_name := ""
		if mesh.mesh != null and target[1] < mesh.mesh.get_blend_shape_count():
			shape_name = mesh.mesh.get_blend_shape_name(target[1])
		out.append({"mesh": String(mesh.name), "index": target[1], "shape": shape_name, "weight": bind[1]})
	return out


## Current values of everything an expression drives: blend-shape weights, then material
## properties (as arrays of floats). The probe compares them to prove binds act.
func expression_values(name: String) -> Array:
	var out: Array = []
	var key := resolve_expression(name)
	if key.is_empty():
		return out
	for bind in _expressions[key]["binds"]:
		var target: Array = _targets[bind[0]]
		out.append(snappedf((target[0] as MeshInstance3D).get_blend_shape_value(target[1]), 0.0001))
	for bind in _expressions[key]["material_binds"]:
		var target: Array = _material_targets[bind[0]]
		var value = VrmMToon.get_bound(target[0], target[1])
		var floats: Array = []
		for k in 4:
			floats.append(snappedf(float(value[k]), 0.0001))
		out.append(floats)
	return out


## The expression key for `name`: exact, then VRM 0.x preset, then case-insensitive.
func resolve_expression(name: String) -> String:
	if _expressions.has(name):
		return name
	var mapped: String = VrmSchema.PRESET_0_TO_1.get(name.to_lower(), "")
	if _expressions.has(mapped):
		return mapped
	for key in _expressions:
		if String(key).to_lower() == name.to_lower():
			return key
	return ""


## Makes blinking repeatable (the probe and tests); the stage keeps a random seed.
func set_random_seed(seed_value: int) -> void:
	_rng.seed = seed_value
	_blink_wait = _next_blink_wait()
	_blink_time = -1.0


## The weight blinking or look-at currently gives an expression (0 when idle).
func auto_weight(name: String) -> float:
	return clampf(_auto.get(name, 0.0), 0.0, 1.0)


func get_bounds() -> AABB:
	return bounds


func _process(delta: float) -> void:
	_update_blink(delta)
	if skeleton != null:
		_update_breathing(delta)
		_update_look_at(delta)
	if _dirty:
		_apply()


# --- expressions ----------------------------------------------------------------------

func _apply() -> void:
	_dirty = false
	var weights := {}
	for name in _expressions:
		var weight: float = maxf(_weights.get(name, 0.0), clampf(_auto.get(name, 0.0), 0.0, 1.0))
		if _expressions[name]["is_binary"]:
			weight = 1.0 if weight > 0.5 else 0.0
		weights[name] = weight
	# Expressions such as "happy" may block or damp blinking, mouth shapes and look-at.
	var damp := {"blink": 0.0, "mouth": 0.0, "look_at": 0.0}
	for name in _expressions:
		if weights[name] <= 0.0:
			continue
		for kind in damp:
			var mode: String = _expressions[name]["override_" + kind]
			if mode == "block":
				damp[kind] = 1.0
			elif mode == "blend":
				damp[kind] = maxf(damp[kind], weights[name])
	for pair in [[BLINK_NAMES, "blink"], [MOUTH_NAMES, "mouth"], [LOOK_NAMES, "look_at"]]:
		for name in pair[0]:
			if weights.has(name) and _expressions[name]["override_" + pair[1]] == "none":
				weights[name] *= 1.0 - damp[pair[1]]
	var values: Array = []
	values.resize(_targets.size())
	values.fill(0.0)
	for name in _expressions:
		var weight: float = weights[name]
		if weight <= 0.0:
			continue
		for bind in _expressions[name]["binds"]:
			values[bind[0]] += weight * bind[1]
	for i in _targets.size():
		var mesh: MeshInstance3D = _targets[i][0]
		if is_instance_valid(mesh):
			mesh.set_blend_shape_value(_targets[i][1], minf(values[i], 1.0))
	if _material_targets.is_empty():
		return
	# Material binds move each property from its rest value towards the bind's target.
	var moved: Array = []
	for target in _material_targets:
		moved.append(target[2])
	for name in _expressions:
		var weight: float = weights[name]
		if weight <= 0.0:
			continue
		for bind in _expressions[name]["material_binds"]:
			var rest = _material_targets[bind[0]][2]
			moved[bind[0]] = moved[bind[0]] + (bind[1] - rest) * weight
	for i in _material_targets.size():
		VrmMToon.set_bound(_material_targets[i][0], _material_targets[i][1], moved[i])


# --- blinking -------------------------------------------------------------------------

func _next_blink_wait() -> float:
	# People blink every few seconds, irregularly, sometimes twice in a row.
	if _rng.randf() < 0.12:
		return 0.25
	return clampf(_rng.randfn(3.8, 1.4), 1.2, 8.0)


func _update_blink(delta: float) -> void:
	if not _expressions.has("blink"):
		return
	if not auto_blink or _weights.get("blink", 0.0) > 0.0:
		if _auto.get("blink", 0.0) != 0.0:
			_auto["blink"] = 0.0
			_dirty = true
		return
	if _blink_time < 0.0:
		_blink_wait -= delta
		if _blink_wait <= 0.0:
			_blink_time = 0.0
		return
	_blink_time += delta
	var close := 0.07
	var hold := 0.04
	var open := 0.12
	var weight := 0.0
	if _blink_time < close:
		weight = ease(_blink_time / close, 0.5)
	elif _blink_time < close + hold:
		weight = 1.0
	elif _blink_time < close + hold + open:
		weight = 1.0 - ease((_blink_time - close - hold) / open, 2.0)
	else:
		_blink_time = -1.0
		_blink_wait = _next_blink_wait()
	_auto["blink"] = weight
	_dirty = true


# --- breathing ------------------------------------------------------------------------

func _update_breathing(delta: float) -> void:
	if not breathing:
		return
	_breath_time = fmod(_breath_time + delta, BREATH_PERIOD)
	var phase := sin(_breath_time / BREATH_PERIOD * TAU)
	for bone_name in BREATH_DEGREES:
		var bone := skeleton.find_bone(bone_name)
		if bone < 0:
			continue
		var angle := deg_to_rad(BREATH_DEGREES[bone_name]) * phase
		# Tilt about the body's left-right axis, expressed in the bone's own rest frame.
		var rest := skeleton.get_bone_rest(bone)
		var axis := (rest_global(skeleton, bone).basis.orthonormalized().inverse() * Vector3.RIGHT).normalized()
		skeleton.set_bone_pose_rotation(bone, rest.basis.get_rotation_quaternion() * Quaternion(axis, angle))


## A bone's rest transform in skeleton space (the probe uses it too).
static func rest_global(skeleton: Skeleton3D, bone: int) -> Transform3D:
	var xform := skeleton.get_bone_rest(bone)
	var parent := skeleton.get_bone_parent(bone)
	while parent >= 0:
		xform = skeleton.get_bone_rest(parent) * xform
		parent = skeleton.get_bone_parent(parent)
	return xform


# --- look-at --------------------------------------------------------------------------

func _update_look_at(delta: float) -> void:
	var head := skeleton.find_bone("Head")
	if head < 0 or _look_at.is_empty() or not look_at_camera or not is_inside_tree():
		return
	var target := look_target
	var point := Vector3.ZERO
	if target != null and is_instance_valid(target):
		point = target.global_position
	else:
		var camera := get_viewport().get_camera_3d() if get_viewport() != null else null
		if camera == null:
			return
		point = camera.global_position
	var head_pose := skeleton.get_bone_global_pose(head)
	var eye := head_pose * (_look_at["offset"] as Vector3)
	var local := skeleton.global_transform.affine_inverse() * point - eye
	# Into the face's frame: +Z forward, +X the avatar's left.
	if _forward.z < 0.0:
		local = Vector3(-local.x, local.y, -local.z)
	var yaw := atan2(local.x, local.z)
	var pitch := atan2(local.y, Vector2(local.x, local.z).length())
	if absf(yaw) > deg_to_rad(100.0):
		yaw = 0.0
		pitch = 0.0
	var smoothing := 1.0 - exp(-6.0 * delta)
	_look = _look.lerp(Vector2(yaw, pitch), smoothing)
	var head_yaw := clampf(_look.x * HEAD_SHARE, -HEAD_YAW_LIMIT, HEAD_YAW_LIMIT)
	var head_pitch := clampf(_look.y * HEAD_SHARE, -HEAD_PITCH_LIMIT, HEAD_PITCH_LIMIT)
	_rotate_bone(head, head_yaw, head_pitch)
	var eye_yaw := _look.x - head_yaw
	var eye_pitch := _look.y - head_pitch
	var ranges: Dictionary = _look_at["ranges"]
	if _look_at["type"] == "expression":
		_auto["lookLeft"] = _range_value(ranges["horizontal_outer"], maxf(eye_yaw, 0.0))
		_auto["lookRight"] = _range_value(ranges["horizontal_outer"], maxf(-eye_yaw, 0.0))
		_auto["lookUp"] = _range_value(ranges["vertical_up"], maxf(eye_pitch, 0.0))
		_auto["lookDown"] = _range_value(ranges["vertical_down"], maxf(-eye_pitch, 0.0))
		_dirty = true
	else:
		var horizontal := deg_to_rad(_range_value(ranges["horizontal_outer"], absf(eye_yaw))) * signf(eye_yaw)
		var vertical_range: Vector2 = ranges["vertical_up"] if eye_pitch > 0.0 else ranges["vertical_down"]
		var vertical := deg_to_rad(_range_value(vertical_range, absf(eye_pitch))) * signf(eye_pitch)
		for eye_name in ["LeftEye", "RightEye"]:
			var bone := skeleton.find_bone(eye_name)
			if bone >= 0:
				_rotate_bone(bone, horizontal, vertical)


## Maps an angle (radians) through a VRM range map: degrees in, output scale out.
static func _range_value(range_map: Vector2, angle: float) -> float:
	return clampf(rad_to_deg(angle) / range_map.x, 0.0, 1.0) * range_map.y


## Lowers the arms from the T-pose: forearms first (their parents still at rest), then the
## upper arms, each turned in the face frame (+Z forward, +X the avatar's left).
func _relax_arms() -> void:
	for side in [1.0, -1.0]:
		var prefix := "Left" if side > 0.0 else "Right"
		var lower := skeleton.find_bone(prefix + "LowerArm")
		var upper := skeleton.find_bone(prefix + "UpperArm")
		if lower >= 0:
			_turn_bone(lower, Basis(Vector3.UP, -side * deg_to_rad(ELBOW_BEND_DEGREES)))
		if upper >= 0:
			_turn_bone(upper, Basis(Vector3.BACK, -side * deg_to_rad(ARM_DOWN_DEGREES)))


## Turns a bone from its rest pose by yaw (about up) and pitch (up positive), in the face frame.
func _rotate_bone(bone: int, yaw: float, pitch: float) -> void:
	_turn_bone(bone, Basis(Vector3.UP, yaw) * Basis(Vector3.RIGHT, -pitch))


## Sets a bone to its rest pose turned by `turn`, a rotation given in the face frame.
func _turn_bone(bone: int, turn: Basis) -> void:
	if _forward.z < 0.0:
		var flip := Basis(Vector3.UP, PI)
		turn = flip * turn * flip.inverse()
	var parent := skeleton.get_bone_parent(bone)
	var parent_basis := skeleton.get_bone_global_pose(parent).basis.orthonormalized() if parent >= 0 else Basis()
	var rest := skeleton.get_bone_rest(bone).basis.orthonormalized()
	var local := parent_basis.inverse() * turn * parent_basis * rest
	skeleton.set_bone_pose_rotation(bone, local.get_rotation_quaternion())
