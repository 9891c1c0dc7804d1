## Bridge protocol v1 on the Godot side: parse and validate envelopes, build replies.
##
## Mirrors app/stage/schema/bridge-v1.schema.json (the single source); the Python test
## suite runs this parser over the shared samples in tests/data/bridge/ to keep both sides
## in step. Numbers arrive as floats (JSON has no integers), so "int" means integral.
extends RefCounted

const PROTOCOL_VERSION := 1
const MAX_FRAME_BYTES := 1024 * 1024
const MAX_ID_CHARS := 64

## Payload fields per message type: field name -> rule.
const TYPES := {
	"hello": {"token": "string", "protocol": "int", "engine": "string"},
	"welcome": {"protocol": "int", "app": "string"},
	"scene.apply": {
		"modelId": "string", "format": "vrm", "path": "nonempty", "sha256": "sha256",
		"name": "string",
	},
	"stage.shutdown": {},
	"ping": {},
	"avatar.expression": {"name": "nonempty", "weight": "unit"},
	"stage.ready": {"protocol": "int", "godot": "string", "renderer": "string"},
	"scene.applied": {
		"modelId": "string", "sha256": "sha256", "vrmVersion": "vrm-version",
		"importMs": "non-negative", "meshCount": "count", "boneCount": "count",
		"humanoidBones": "count", "expressions": "strings", "springChains": "count",
		"mtoonMaterials": "count",
	},
	"scene.error": {"modelId": "string", "code": "string", "message": "string"},
	"stage.window": {"x": "int", "y": "int", "width": "size", "height": "size"},
	"stage.fatal": {"message": "string"},
	"pong": {},
	"log": {"level": "level", "message": "string"},
	"error": {"code": "string", "message": "string"},
}

## What the stage may receive from the host.
const HOST_TO_STAGE := [
	"welcome", "scene.apply", "stage.shutdown", "ping", "avatar.expression", "error",
]

const _ENVELOPE_KEYS := ["v", "id", "type", "payload", "re"]
const _HEX := "0123456789abcdef"

static var _counter := 0


## Parses one frame. Returns {"ok": true, "id", "type", "payload", "re"} or
## {"ok": false, "code", "message", "re"}; never raises. `accept` limits the types.
static func parse(text: String, accept: Array = []) -> Dictionary:
	if text.length() * 4 > MAX_FRAME_BYTES and text.to_utf8_buffer().size() > MAX_FRAME_BYTES:
		return _refuse("too-large", "frame exceeds %d bytes" % MAX_FRAME_BYTES, "")
	var json := JSON.new()
	if json.parse(text) != OK:
		return _refuse("bad-json", "frame is not JSON: %s" % json.get_error_message(), "")
	var data: Variant = json.data
	if typeof(data) != TYPE_DICTIONARY:
		return _refuse("bad-envelope", "envelope must be an object", "")
	var frame: Dictionary = data
	var re := ""
	if _is_id(frame.get("id")):
		re = frame["id"]
	for key: Variant in frame.keys():
		if not key in _ENVELOPE_KEYS:
			return _refuse("bad-envelope", "unknown envelope field %s" % str(key), re)
	var version: Variant = frame.get("v")
	if typeof(version) != TYPE_FLOAT and typeof(version) != TYPE_INT:
		return _refuse("bad-envelope", "envelope version must be 1", re)
	if version != PROTOCOL_VERSION:
		return _refuse("bad-envelope", "envelope version must be 1", re)
	if re.is_empty():
		return _refuse("bad-envelope", "envelope id must be a string of 1-64 characters", re)
	if frame.has("re") and not _is_id(frame["re"]):
		return _refuse("bad-envelope", "envelope re must be a string of 1-64 characters", re)
	if typeof(frame.get("type")) != TYPE_STRING:
		return _refuse("bad-envelope", "envelope type must be a string", re)
	if typeof(frame.get("payload")) != TYPE_DICTIONARY:
		return _refuse("bad-envelope", "envelope payload must be an object", re)
	var kind: String = frame["type"]
	if not TYPES.has(kind) or (not accept.is_empty() and not kind in accept):
		return _refuse("unknown-type", "unknown message type %s" % kind.left(64), re)
	var payload: Dictionary = frame["payload"]
	var fields: Dictionary = TYPES[kind]
	for key: Variant in payload.keys():
		if not fields.has(key):
			return _refuse("bad-payload", "%s: unknown field %s" % [kind, str(key)], re)
	for field: String in fields:
		if not payload.has(field):
			return _refuse("bad-payload", "%s: missing field %s" % [kind, field], re)
		var problem := _check(fields[field], payload[field])
		if not problem.is_empty():
			return _refuse("bad-payload", "%s.%s: %s" % [kind, field, problem], re)
	return {
		"ok": true, "id": re, "type": kind, "payload": payload,
		"re": frame.get("re", ""),
	}


## Serialises an envelope; `re` names the envelope it answers ("" for none).
static func make(kind: String, payload: Dictionary, re: String = "") -> String:
	_counter += 1
	var frame := {
		"v": PROTOCOL_VERSION, "id": "g%d-%d" % [Time.get_ticks_msec(), _counter],
		"type": kind, "payload": payload,
	}
	if not re.is_empty():
		frame["re"] = re
	return JSON.stringify(frame)


static func _check(rule: String, value: Variant) -> String:
	var kind := typeof(value)
	var is_number := kind == TYPE_FLOAT or kind == TYPE_INT
	match rule:
		"string":
			return "" if kind == TYPE_STRING else "must be a string"
		"strings":
			if kind != TYPE_ARRAY:
				return "must be an array of strings"
			for item: Variant in value:
				if typeof(item) != TYPE_STRING:
					return "must be an array of strings"
		"nonempty":
			if kind != TYPE_STRING or (value as String).is_empty():
				return "must be a non-empty string"
		"vrm":
			return "" if kind == TYPE_STRING and value == "vrm" else "must be vrm"
		"vrm-version":
			return "" if kind == TYPE_STRING and value in ["0.x", "1.0"] else "must be 0.x or 1.0"
		"level":
			if kind != TYPE_STRING or not value in ["debug", "info", "warning", "error"]:
				return "must be debug, info, warning or error"
		"sha256":
			if kind != TYPE_STRING or (value as String).length() != 64:
				return "must be 64 lowercase hex digits"
			for c in (value as String):
				if not c in _HEX:
					return "must be 64 lowercase hex digits"
		"int":
			if not is_number or not _is_integral(value):
				return "must be an integer"
		"count":
			if not is_number or not _is_integral(value) or value < 0:
				return "must be a non-negative integer"
		"size":
			if not is_number or not _is_integral(value) or value < 1:
				return "must be an integer of at least 1"
		"non-negative":
			if not is_number or not is_finite(float(value)) or value < 0:
				return "must be a non-negative number"
		"unit":
			if not is_number or value < 0.0 or value > 1.0:
				return "must be a number between 0 and 1"
	return ""


static func _is_integral(value: Variant) -> bool:
	return typeof(value) == TYPE_INT or (is_finite(value) and floor(value) == value)


static func _is_id(value: Variant) -> bool:
	return typeof(value) == TYPE_STRING and not (value as String).is_empty() \
			and (value as String).length() <= MAX_ID_CHARS


static func _refuse(code: String, message: String, re: String) -> Dictionary:
	return {"ok": false, "code": code, "message": message, "re": re}
