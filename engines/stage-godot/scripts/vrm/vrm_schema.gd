## Turns the VRM 0.x `VRM` extension and the VRM 1.0 `VRMC_*` extensions of a glTF JSON
## document into one version-neutral description, so the rest of the runtime never asks
## which version it is looking at. Pure data in, pure data out: no scene nodes here.
extends RefCounted

const VERSION_0 := "0.x"
const VERSION_1 := "1.0"

## VRM 0.x blend-shape preset names mapped to the VRM 1.0 expression vocabulary.
const PRESET_0_TO_1 := {
	"neutral": "neutral",
	"a": "aa",
	"i": "ih",
	"u": "ou",
	"e": "ee",
	"o": "oh",
	"blink": "blink",
	"blink_l": "blinkLeft",
	"blink_r": "blinkRight",
	"joy": "happy",
	"angry": "angry",
	"sorrow": "sad",
	"fun": "relaxed",
	"surprised": "surprised",
	"lookup": "lookUp",
	"lookdown": "lookDown",
	"lookleft": "lookLeft",
	"lookright": "lookRight",
}

## VRM 1.0 preset expression names; 0.x custom groups spelled like one (e.g. "Surprised")
## are given the preset's spelling.
const PRESETS_1 := ["neutral", "aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight",
	"happy", "angry", "sad", "relaxed", "surprised", "lookUp", "lookDown", "lookLeft", "lookRight"]

## VRM 0.x thumb bones sit one joint further out than VRM 1.0's.
const THUMB_0_TO_1 := {
	"ThumbProximal": "ThumbMetacarpal",
	"ThumbIntermediate": "ThumbProximal",
}


## Which VRM version a glTF JSON document declares, or "" when it is not a VRM.
## VRM 0.x is checked first: some 0.x exporters also list `VRMC_materials_mtoon`.
static func detect_version(json: Dictionary) -> String:
	var extensions: Dictionary = json.get("extensions", {})
	if extensions.has("VRM"):
		return VERSION_0
	if extensions.has("VRMC_vrm"):
		return VERSION_1
	return ""


## The whole description; see the keys below. `version` must come from detect_version().
static func parse(json: Dictionary, version: String) -> Dictionary:
	var extensions := _dict(json.get("extensions"))
	var result := {
		"version": version,
		"meta": {},
		"humanoid": {},
		"expressions": [],
		"look_at": {},
		"springs": [],
		"colliders": [],
		"collider_groups": [],
		"materials": {},
		# glTF mesh indices (0.x) / node indices (1.0) to hide: first-person-only meshes.
		"hidden_meshes": [],
		"hidden_nodes": [],
	}
	if version == VERSION_0:
		var vrm := _dict(extensions.get("VRM"))
		result["meta"] = _dict(vrm.get("meta"))
		result["humanoid"] = _humanoid_0(_dict(vrm.get("humanoid")))
		result["expressions"] = _expressions_0(json, _dict(vrm.get("blendShapeMaster")))
		result["look_at"] = _look_at_0(_dict(vrm.get("firstPerson")))
		for annotation in _array(_dict(vrm.get("firstPerson")).get("meshAnnotations")):
			if annotation is Dictionary and str(annotation.get("firstPersonFlag", "")).to_lower() == "firstpersononly":
				result["hidden_meshes"].append(int(annotation.get("mesh", -1)))
		_springs_0(json, _dict(vrm.get("secondaryAnimation")), result)
		result["materials"] = _materials_0(json, _array(vrm.get("materialProperties")))
	elif version == VERSION_1:
		var vrm := _dict(extensions.get("VRMC_vrm"))
		result["meta"] = _dict(vrm.get("meta"))
		result["humanoid"] = _humanoid_1(_dict(vrm.get("humanoid")))
		result["expressions"] = _expressions_1(_dict(vrm.get("expressions")))
		result["look_at"] = _look_at_1(_dict(vrm.get("lookAt")))
		for annotation in _array(_dict(vrm.get("firstPerson")).get("meshAnnotations")):
			if annotation is Dictionary and str(annotation.get("type", "")) == "firstPersonOnly":
				result["hidden_nodes"].append(int(annotation.get("node", -1)))
		_springs_1(_dict(extensions.get("VRMC_springBone")), result)
		result["materials"] = _materials_1(json)
	return result


## The Godot SkeletonProfileHumanoid bone name for a VRM 1.0 humanoid bone name.
static func profile_bone_name(vrm_bone: String) -> String:
	if vrm_bone.is_empty():
		return ""
	return vrm_bone.substr(0, 1).to_upper() + vrm_bone.substr(1)


# --- humanoid -------------------------------------------------------------------------

static func _humanoid_0(humanoid: Dictionary) -> Dictionary:
	var bones := {}
	for entry in _array(humanoid.get("humanBones")):
		if not entry is Dictionary or not entry.has("node") or not entry.has("bone"):
			continue
		var name: String = str(entry["bone"])
		for old_name in THUMB_0_TO_1:
			if name.ends_with(old_name):
				name = name.trim_suffix(old_name) + THUMB_0_TO_1[old_name]
				break
		bones[name] = int(entry["node"])
	return bones


static func _humanoid_1(humanoid: Dictionary) -> Dictionary:
	var bones := {}
	var human_bones = humanoid.get("humanBones", {})
	if human_bones is Dictionary:
		for name in human_bones:
			var entry = human_bones[name]
			if entry is Dictionary and entry.has("node"):
				bones[str(name)] = int(entry["node"])
	return bones


# --- expressions ----------------------------------------------------------------------

static func _expression(name: String, source: String) -> Dictionary:
	return {
		"name": name,
		"source": source,
		"is_binary": false,
		"override_blink": "none",
		"override_mouth": "none",
		"override_look_at": "none",
		"binds": [],
		# {"material": glTF material index, "kind": "color"|"shadeColor"|"emissionColor"|
		#  "rimColor"|"outlineColor"|"matcapColor"|"uv", "target": Color or Vector4(sx, sy, ox, oy)}
		"material_binds": [],
	}


## VRM 0.x material property names -> material bind kinds.
const MATERIAL_PROPERTY_0 := {
	"_Color": "color", "_ShadeColor": "shadeColor", "_EmissionColor": "emissionColor",
	"_RimColor": "rimColor", "_OutlineColor": "outlineColor", "_MainTex_ST": "uv",
}


static func _expressions_0(json: Dictionary, master: Dictionary) -> Array:
	var out: Array = []
	var seen := {}
	var material_index := {}
	var gltf_materials: Array = json.get("materials", [])
	for i in gltf_materials.size():
		material_index[str(gltf_materials[i].get("name", ""))] = i
	for group in _array(master.get("blendShapeGroups")):
		if not group is Dictionary:
			continue
		var preset: String = str(group.get("presetName", "unknown")).to_lower()
		var source: String = str(group.get("name", preset))
		var name: String = PRESET_0_TO_1.get(preset, "")
		if name.is_empty():
			name = source
			for preset_1 in PRESETS_1:
				if preset_1.to_lower() == source.to_lower():
					name = preset_1
		if name.is_empty() or seen.has(name):
			continue
		seen[name] = true
		var expression := _expression(name, source)
		expression["is_binary"] = bool(group.get("isBinary", false))
		for bind in _array(group.get("binds")):
			if bind is Dictionary and bind.has("mesh") and bind.has("index"):
				expression["binds"].append({
					"mesh": int(bind["mesh"]),
					"index": int(bind["index"]),
					# VRM 0.x weights run 0..100.
					"weight": clampf(float(bind.get("weight", 100.0)) / 100.0, 0.0, 1.0),
				})
		for value in _array(group.get("materialValues")):
			if not value is Dictionary:
				continue
			var kind: String = MATERIAL_PROPERTY_0.get(str(value.get("propertyName", "")), "")
			var index: int = material_index.get(str(value.get("materialName", "")), -1)
			var target := _array(value.get("targetValue"))
			if kind.is_empty() or index < 0 or target.size() < 4:
				continue
			var bind := {"material": index, "kind": kind}
			if kind == "uv":
				# Unity's _ST is (scale x, scale y, offset x, offset y) with offsets from the bottom.
				bind["target"] = Vector4(float(target[0]), float(target[1]), float(target[2]),
					1.0 - float(target[1]) - float(target[3]))
			else:
				bind["target"] = Color(float(target[0]), float(target[1]), float(target[2]), float(target[3]))
			expression["material_binds"].append(bind)
		out.append(expression)
	return out


static func _expressions_1(expressions: Dictionary) -> Array:
	var out: Array = []
	for kind in ["preset", "custom"]:
		var table = expressions.get(kind, {})
		if not table is Dictionary:
			continue
		for name in table:
			var data = table[name]
			if not data is Dictionary:
				continue
			var expression := _expression(str(name), str(name))
			expression["is_binary"] = bool(data.get("isBinary", false))
			expression["override_blink"] = str(data.get("overrideBlink", "none"))
			expression["override_mouth"] = str(data.get("overrideMouth", "none"))
			expression["override_look_at"] = str(data.get("overrideLookAt", "none"))
			for bind in _array(data.get("morphTargetBinds")):
				if bind is Dictionary and bind.has("node") and bind.has("index"):
					expression["binds"].append({
						"node": int(bind["node"]),
						"index": int(bind["index"]),
						"weight": clampf(float(bind.get("weight", 1.0)), 0.0, 1.0),
					})
			for bind in _array(data.get("materialColorBinds")):
				if bind is Dictionary and bind.has("material") and bind.has("targetValue"):
					var target := _array(bind["targetValue"])
					if target.size() >= 3:
						# glTF factors are linear; materials here hold sRGB colours.
						var color := Color(float(target[0]), float(target[1]), float(target[2])).linear_to_srgb()
						color.a = float(target[3]) if target.size() > 3 else 1.0
						expression["material_binds"].append({"material": int(bind["material"]),
							"kind": str(bind.get("type", "color")), "target": color})
			for bind in _array(data.get("textureTransformBinds")):
				if bind is Dictionary and bind.has("material"):
					var scale := _array(bind.get("scale", [1.0, 1.0]))
					var offset := _array(bind.get("offset", [0.0, 0.0]))
					if scale.size() < 2 or offset.size() < 2:
						continue
					expression["material_binds"].append({"material": int(bind["material"]), "kind": "uv",
						"target": Vector4(float(scale[0]), float(scale[1]), float(offset[0]), float(offset[1]))})
			out.append(expression)
	return out


# --- look-at --------------------------------------------------------------------------

static func _range(input_max: float, output_scale: float) -> Vector2:
	return Vector2(maxf(input_max, 0.001), output_scale)


static func _look_at_0(first_person: Dictionary) -> Dictionary:
	if first_person.is_empty():
		return {}
	var kind: String = str(first_person.get("lookAtTypeName", "Bone")).to_lower()
	var ranges := {}
	for pair in [["horizontal_inner", "lookAtHorizontalInner"], ["horizontal_outer", "lookAtHorizontalOuter"],
			["vertical_down", "lookAtVerticalDown"], ["vertical_up", "lookAtVerticalUp"]]:
		var data := _dict(first_person.get(pair[1]))
		ranges[pair[0]] = _range(float(data.get("xRange", 90.0)), float(data.get("yRange", 10.0)))
	var offset := _dict(first_person.get("firstPersonBoneOffset"))
	return {
		"type": "expression" if kind == "blendshape" else "bone",
		# VRM 0.x stores offsets in a space with Z mirrored relative to glTF.
		"offset": Vector3(float(offset.get("x", 0.0)), float(offset.get("y", 0.06)), -float(offset.get("z", 0.0))),
		"ranges": ranges,
	}


static func _look_at_1(look_at: Dictionary) -> Dictionary:
	if look_at.is_empty():
		return {}
	var ranges := {}
	for pair in [["horizontal_inner", "rangeMapHorizontalInner"], ["horizontal_outer", "rangeMapHorizontalOuter"],
			["vertical_down", "rangeMapVerticalDown"], ["vertical_up", "rangeMapVerticalUp"]]:
		var data := _dict(look_at.get(pair[1]))
		ranges[pair[0]] = _range(float(data.get("inputMaxValue", 90.0)), float(data.get("outputScale", 10.0)))
	var offset = look_at.get("offsetFromHeadBone", [0.0, 0.06, 0.0])
	return {
		"type": str(look_at.get("type", "bone")),
		"offset": _vec3(offset, Vector3(0, 0.06, 0)),
		"ranges": ranges,
	}


# --- spring bones ---------------------------------------------------------------------

## One joint: `node` swings, `tail` (a node index or -1 for a virtual tip) is where it points.
static func _joint(node: int, tail: int, settings: Dictionary) -> Dictionary:
	var joint := settings.duplicate()
	joint["node"] = node
	joint["tail"] = tail
	return joint


static func _springs_0(json: Dictionary, secondary: Dictionary, result: Dictionary) -> void:
	var nodes: Array = json.get("nodes", [])
	var colliders: Array = []
	var groups: Array = []
	for group in secondary.get("colliderGroups", []):
		if not group is Dictionary or not group.has("node"):
			groups.append([])
			continue
		var members: Array = []
		for collider in _array(group.get("colliders")):
			if not collider is Dictionary:
				continue
			var offset := _dict(collider.get("offset"))
			members.append(colliders.size())
			colliders.append({
				"node": int(group["node"]),
				"shape": "sphere",
				# VRM 0.x collider offsets have Z mirrored relative to glTF.
				"offset": Vector3(float(offset.get("x", 0.0)), float(offset.get("y", 0.0)), -float(offset.get("z", 0.0))),
				"radius": float(collider.get("radius", 0.0)),
				"tail": Vector3.ZERO,
			})
		groups.append(members)
	result["colliders"] = colliders
	result["collider_groups"] = groups
	var springs: Array = []
	for bone_group in secondary.get("boneGroups", []):
		if not bone_group is Dictionary:
			continue
		var dir := _dict(bone_group.get("gravityDir", {"x": 0.0, "y": -1.0, "z": 0.0}))
		var settings := {
			"stiffness": float(bone_group.get("stiffiness", 1.0)),
			"gravity_power": float(bone_group.get("gravityPower", 0.0)),
			"gravity_dir": Vector3(float(dir.get("x", 0.0)), float(dir.get("y", -1.0)), float(dir.get("z", 0.0))),
			"drag_force": float(bone_group.get("dragForce", 0.4)),
			"hit_radius": float(bone_group.get("hitRadius", 0.02)),
		}
		var collider_groups: Array = []
		for index in _array(bone_group.get("colliderGroups")):
			collider_groups.append(int(index))
		# VRM 0.x names root bones; every node below a root swings towards its first child.
		for root in _array(bone_group.get("bones")):
			var joints: Array = []
			var stack: Array = [int(root)]
			while not stack.is_empty():
				var index: int = stack.pop_front()
				if index < 0 or index >= nodes.size():
					continue
				var children := _array(_dict(nodes[index]).get("children"))
				joints.append(_joint(index, int(children[0]) if not children.is_empty() else -1, settings))
				for child in children:
					stack.append(int(child))
			if not joints.is_empty():
				springs.append({
					"name": str(bone_group.get("comment", "")),
					"joints": joints,
					"collider_groups": collider_groups,
				})
	result["springs"] = springs


static func _springs_1(spring_bone: Dictionary, result: Dictionary) -> void:
	var colliders: Array = []
	for collider in _array(spring_bone.get("colliders")):
		if not collider is Dictionary:
			continue
		var shape := _dict(collider.get("shape"))
		var entry := {"node": int(collider.get("node", -1)), "shape": "sphere", "offset": Vector3.ZERO,
			"radius": 0.0, "tail": Vector3.ZERO}
		if shape.has("capsule"):
			var capsule := _dict(shape["capsule"])
			entry["shape"] = "capsule"
			entry["offset"] = _vec3(capsule.get("offset", []), Vector3.ZERO)
			entry["radius"] = float(capsule.get("radius", 0.0))
			entry["tail"] = _vec3(capsule.get("tail", []), Vector3.ZERO)
		elif shape.has("sphere"):
			var sphere := _dict(shape["sphere"])
			entry["offset"] = _vec3(sphere.get("offset", []), Vector3.ZERO)
			entry["radius"] = float(sphere.get("radius", 0.0))
		colliders.append(entry)
	var groups: Array = []
	for group in _array(spring_bone.get("colliderGroups")):
		var members: Array = []
		for index in _array(_dict(group).get("colliders")):
			members.append(int(index))
		groups.append(members)
	result["colliders"] = colliders
	result["collider_groups"] = groups
	var springs: Array = []
	for spring in _array(spring_bone.get("springs")):
		if not spring is Dictionary:
			continue
		var schema_joints: Array = []
		for data in _array(spring.get("joints")):
			if data is Dictionary:
				schema_joints.append(data)
		var joints: Array = []
		# A VRM 1.0 spring is a list of nodes; each one but the last swings towards the next.
		for i in range(schema_joints.size() - 1):
			var data: Dictionary = schema_joints[i]
			var settings := {
				"stiffness": float(data.get("stiffness", 1.0)),
				"gravity_power": float(data.get("gravityPower", 0.0)),
				"gravity_dir": _vec3(data.get("gravityDir", []), Vector3(0, -1, 0)),
				"drag_force": float(data.get("dragForce", 0.5)),
				"hit_radius": float(data.get("hitRadius", 0.0)),
			}
			joints.append(_joint(int(data.get("node", -1)), int(schema_joints[i + 1].get("node", -1)), settings))
		var collider_groups: Array = []
		for index in _array(spring.get("colliderGroups")):
			collider_groups.append(int(index))
		if not joints.is_empty():
			springs.append({"name": str(spring.get("name", "")), "joints": joints, "collider_groups": collider_groups})
	result["springs"] = springs


# --- materials ------------------------------------------------------------------------

## VRM 0.x: `materialProperties` entries with shader "VRM/MToon", keyed by glTF material index.
static func _materials_0(json: Dictionary, properties: Array) -> Dictionary:
	var gltf_materials: Array = json.get("materials", [])
	var by_name := {}
	for i in gltf_materials.size():
		by_name[str(gltf_materials[i].get("name", ""))] = i
	var out := {}
	for i in properties.size():
		var entry = properties[i]
		if not entry is Dictionary or str(entry.get("shader", "")) != "VRM/MToon":
			continue
		# Entries follow glTF material order; fall back to the name when the counts disagree.
		var index := i
		if properties.size() != gltf_materials.size():
			index = int(by_name.get(str(entry.get("name", "")), -1))
		if index < 0:
			continue
		out[index] = {"kind": "mtoon0", "floats": entry.get("floatProperties", {}),
			"vectors": entry.get("vectorProperties", {}), "textures": entry.get("textureProperties", {})}
	return out


## VRM 1.0: glTF materials carrying `VRMC_materials_mtoon`, keyed by glTF material index.
static func _materials_1(json: Dictionary) -> Dictionary:
	var out := {}
	var gltf_materials: Array = json.get("materials", [])
	for i in gltf_materials.size():
		var material: Dictionary = gltf_materials[i]
		var extensions: Dictionary = material.get("extensions", {})
		if extensions.has("VRMC_materials_mtoon"):
			out[i] = {"kind": "mtoon1", "mtoon": extensions["VRMC_materials_mtoon"], "gltf": material}
	return out


## The value when it is a Dictionary, else an empty one (files are not to be trusted).
static func _dict(value) -> Dictionary:
	return value if value is Dictionary else {}


static func _array(value) -> Array:
	return value if value is Array else []


static func _vec3(values, fallback: Vector3) -> Vector3:
	if values is Array and values.size() >= 3:
		return Vector3(float(values[0]), float(values[1]), float(values[2]))
	return fallback
