## Hair and cloth that swing: the VRM spring-bone model (Verlet tail per joint, stiffness
## pulling back to the rest direction, gravity, drag, sphere and capsule colliders), run in
## world space so moving the avatar makes its hair lag. The simulation advances in fixed
## steps of 1/60 s whatever the frame rate, which keeps it stable from 30 to 144 fps, and
## frames between two steps show the pose interpolated between them.
class_name VrmSpringBones
extends Node

const STEP := 1.0 / 60.0
const MAX_STEPS_PER_FRAME := 8

## Multiplies every joint's gravity power (the probe raises it to prove chains hang).
var gravity_scale := 1.0
## A floor for every joint's gravity power (the probe's hanging check).
var gravity_floor := 0.0
## Swing energy of all tails after the last step (sum of v^2 / 2 per unit mass, with v the
## tail's speed relative to its joint).
var energy := 0.0
## Largest tail speed after the last step, in m/s.
var max_speed := 0.0

var _chains: Array = []  # Array of Array of joint dictionaries, parents first
var _colliders: Array = []
var _accumulator := 0.0
var _started := false


func _ready() -> void:
	process_priority = 100  # after the avatar's own bone work (breathing, look-at)


## `springs`, `colliders`, `collider_groups` come from VrmSchema; `resolve` maps a glTF node
## index to a VrmNodes target ({"skeleton", "bone"} or {"node"}).
func configure(springs: Array, colliders: Array, collider_groups: Array, resolve: Callable) -> void:
	_chains.clear()
	_colliders.clear()
	for collider in colliders:
		var target: Dictionary = resolve.call(collider["node"])
		_colliders.append({"target": target, "shape": collider["shape"], "offset": collider["offset"],
			"tail": collider["tail"], "radius": collider["radius"]})
	for spring in springs:
		var collider_ids: Array = []
		for group in spring["collider_groups"]:
			if group >= 0 and group < collider_groups.size():
				for id in collider_groups[group]:
					if id >= 0 and id < _colliders.size() and not _colliders[id]["target"].is_empty():
						collider_ids.append(id)
		var chain: Array = []
		for joint in spring["joints"]:
			var target: Dictionary = resolve.call(joint["node"])
			if target.is_empty():
				continue
			var tail_target: Dictionary = resolve.call(joint["tail"]) if joint["tail"] >= 0 else {}
			var tail_local := _tail_local(target, tail_target)
			if tail_local.length_squared() < 1e-12:
				continue
			var gravity_dir: Vector3 = joint["gravity_dir"]
			chain.append({
				"target": target,
				"rest": _local_rotation(target),
				"tail_local": tail_local,
				"axis": tail_local.normalized(),
				"stiffness": float(joint["stiffness"]),
				"gravity_power": float(joint["gravity_power"]),
				"gravity_dir": gravity_dir.normalized() if gravity_dir.length_squared() > 0.0 else Vector3.DOWN,
				"drag": clampf(float(joint["drag_force"]), 0.0, 1.0),
				"hit_radius": float(joint["hit_radius"]),
				"colliders": collider_ids,
				"current": Vector3.ZERO,
				"q_previous": _local_rotation(target),
				"q_current": _local_rotation(target),
				"previous": Vector3.ZERO,
			})
		if not chain.is_empty():
			_chains.append(chain)
	_started = false


func chain_count() -> int:
	return _chains.size()


func joint_count() -> int:
	var count := 0
	for chain in _chains:
		count += chain.size()
	return count


## World positions of each chain's last tail (the probe watches them).
func chain_tips() -> Array:
	var out: Array = []
	for chain in _chains:
		out.append(chain[-1]["current"])
	return out


## World positions of each chain's first joint.
func chain_roots() -> Array:
	var out: Array = []
	for chain in _chains:
		out.append(_world(chain[0]["target"]).origin)
	return out


## Forget the motion: tails start again from the current pose (after a teleport).
func reset() -> void:
	_started = false
	_accumulator = 0.0


func _process(delta: float) -> void:
	advance(delta)


## Advances the simulation by a frame of `delta` seconds in fixed steps.
func advance(delta: float) -> void:
	if _chains.is_empty() or not is_inside_tree():
		return
	if not _started:
		_start()
	_accumulator += clampf(delta, 0.0, STEP * MAX_STEPS_PER_FRAME)
	var steps := 0
	while _accumulator >= STEP and steps < MAX_STEPS_PER_FRAME:
		_step(STEP)
		_accumulator -= STEP
		steps += 1
	# Show the pose between the last two steps, so 144 fps looks as smooth as it runs.
	var alpha := clampf(_accumulator / STEP, 0.0, 1.0)
	for chain in _chains:
		for joint in chain:
			_set_local_rotation(joint["target"], (joint["q_previous"] as Quaternion).slerp(joint["q_current"], alpha))


func _start() -> void:
	for chain in _chains:
		for joint in chain:
			_set_local_rotation(joint["target"], joint["rest"])
			joint["q_previous"] = joint["rest"]
			joint["q_current"] = joint["rest"]
		for joint in chain:
			var tail: Vector3 = _world(joint["target"]) * (joint["tail_local"] as Vector3)
			joint["current"] = tail
			joint["previous"] = tail
			joint["head"] = _world(joint["target"]).origin
	_started = true


func _step(h: float) -> void:
	var total := 0.0
	var fastest := 0.0
	# Simulate from the last solved pose, not from the interpolated one on screen.
	for chain in _chains:
		for joint in chain:
			_set_local_rotation(joint["target"], joint["q_current"])
	for chain in _chains:
		for joint in chain:
			var target: Dictionary = joint["target"]
			var parent_rotation := _parent_world(target).basis.orthonormalized()
			var rest_world := parent_rotation * Basis(joint["rest"])
			var axis_world: Vector3 = (rest_world * joint["axis"]).normalized()
			var head_xform := _world(target)
			var head := head_xform.origin
			var length: float = (head_xform.basis * joint["tail_local"]).length()
			var current: Vector3 = joint["current"]
			var previous: Vector3 = joint["previous"]
			var gravity: float = maxf(joint["gravity_power"] * gravity_scale, gravity_floor)
			var next: Vector3 = current + (current - previous) * (1.0 - joint["drag"]) \
				+ axis_world * joint["stiffness"] * h + joint["gravity_dir"] * gravity * h
			next = head + _safe_normal(next - head, axis_world) * length
			for id in joint["colliders"]:
				next = _collide(_colliders[id], next, joint["hit_radius"])
				next = head + _safe_normal(next - head, axis_world) * length
			joint["previous"] = current
			joint["current"] = next
			# Swing speed: the tail's motion relative to its moving joint, not the avatar's travel.
			var last_head: Vector3 = joint.get("head", head)
			joint["head"] = head
			var speed := ((next - head) - (current - last_head)).length() / h
			total += 0.5 * speed * speed
			fastest = maxf(fastest, speed)
			var to := _safe_normal(next - head, axis_world)
			var swing := Quaternion(axis_world, to) if axis_world.dot(to) > -0.9999 else Quaternion(parent_rotation * Vector3.RIGHT, PI)
			var world_rotation := Basis(swing) * rest_world
			var local := Quaternion((parent_rotation.inverse() * world_rotation).orthonormalized())
			joint["q_previous"] = joint["q_current"]
			joint["q_current"] = local
			_set_local_rotation(target, local)
	energy = total
	max_speed = fastest


func _collide(collider: Dictionary, point: Vector3, hit_radius: float) -> Vector3:
	var xform := _world(collider["target"])
	var radius: float = collider["radius"] * xform.basis.get_scale().x
	var center: Vector3 = xform * (collider["offset"] as Vector3)
	if collider["shape"] == "capsule":
		var tail: Vector3 = xform * (collider["tail"] as Vector3)
		var segment: Vector3 = tail - center
		var t := 0.0
		if segment.length_squared() > 1e-12:
			t = clampf((point - center).dot(segment) / segment.length_squared(), 0.0, 1.0)
		center = center + segment * t
	var offset: Vector3 = point - center
	var reach := radius + hit_radius
	if offset.length() < reach:
		return center + _safe_normal(offset, Vector3.UP) * reach
	return point


static func _safe_normal(v: Vector3, fallback: Vector3) -> Vector3:
	if v.length_squared() < 1e-14:
		return fallback
	return v.normalized()


# --- targets: a bone of a Skeleton3D or a plain Node3D -----------------------------------

static func _world(target: Dictionary) -> Transform3D:
	if target.has("skeleton"):
		var skeleton: Skeleton3D = target["skeleton"]
		return skeleton.global_transform * skeleton.get_bone_global_pose(target["bone"])
	return (target["node"] as Node3D).global_transform


static func _parent_world(target: Dictionary) -> Transform3D:
	if target.has("skeleton"):
		var skeleton: Skeleton3D = target["skeleton"]
		var parent := skeleton.get_bone_parent(target["bone"])
		if parent < 0:
			return skeleton.global_transform
		return skeleton.global_transform * skeleton.get_bone_global_pose(parent)
	var parent_node := (target["node"] as Node3D).get_parent() as Node3D
	return parent_node.global_transform if parent_node != null else Transform3D.IDENTITY


static func _local_rotation(target: Dictionary) -> Quaternion:
	if target.has("skeleton"):
		return (target["skeleton"] as Skeleton3D).get_bone_pose_rotation(target["bone"])
	return (target["node"] as Node3D).quaternion


static func _set_local_rotation(target: Dictionary, rotation: Quaternion) -> void:
	if target.has("skeleton"):
		(target["skeleton"] as Skeleton3D).set_bone_pose_rotation(target["bone"], rotation)
	else:
		(target["node"] as Node3D).quaternion = rotation


## Where the tail sits in the joint's own space at rest (a virtual 7 cm tip for leaves).
static func _tail_local(target: Dictionary, tail_target: Dictionary) -> Vector3:
	if not tail_target.is_empty():
		return (_rest_model(target).affine_inverse() * _rest_model(tail_target)).origin
	var local := _rest_local(target)
	var along := local.origin
	if along.length_squared() < 1e-12:
		along = Vector3.UP
	return local.basis.inverse() * along.normalized() * 0.07


static func _rest_local(target: Dictionary) -> Transform3D:
	if target.has("skeleton"):
		return (target["skeleton"] as Skeleton3D).get_bone_pose(target["bone"])
	return (target["node"] as Node3D).transform


## The target's transform relative to its skeleton (bones) or the scene root (nodes).
static func _rest_model(target: Dictionary) -> Transform3D:
	if target.has("skeleton"):
		var skeleton: Skeleton3D = target["skeleton"]
		var xform := skeleton.get_bone_global_pose(target["bone"])
		return _chain(skeleton) * xform
	return _chain(target["node"])


static func _chain(node: Node) -> Transform3D:
	var xform := Transform3D.IDENTITY
	while node != null:
		if node is Node3D:
			xform = (node as Node3D).transform * xform
		node = node.get_parent()
	return xform
