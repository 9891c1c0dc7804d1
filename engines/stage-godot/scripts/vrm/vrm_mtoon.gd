## Builds our MToon ShaderMaterials (toon pass plus outline pass) from VRM 0.x
## `materialProperties` and VRM 1.0 `VRMC_materials_mtoon`, and swaps them in for the
## materials Godot imported. Unlit and PBR materials are left exactly as imported.
extends RefCounted

const MTOON_PATH := "res://scripts/vrm/mtoon.gdshader"
const OUTLINE_PATH := "res://scripts/vrm/mtoon_outline.gdshader"
const RENDER_MODE_PREFIX := "render_mode "
## Expression material-bind kinds -> our MToon shader parameters.
const SHADER_BIND_PARAMETERS := {
	"color": "lit_color", "shadeColor": "shade_color", "emissionColor": "emission_color",
	"rimColor": "rim_color", "uv": "uv_scale_offset",
}

static var _shaders := {}  # variant key -> Shader


## Replaces MToon materials under `root`; returns {imported Material: ShaderMaterial}.
static func apply(state: GLTFState, vrm: Dictionary, root: Node) -> Dictionary:
	var imported := state.get_materials()
	var replacement := {}  # imported Material -> ShaderMaterial
	for index in vrm["materials"]:
		if index < 0 or index >= imported.size() or imported[index] == null:
			continue
		var spec: Dictionary = vrm["materials"][index]
		var material: ShaderMaterial
		if spec["kind"] == "mtoon0":
			material = _from_0(state, spec, imported[index])
		else:
			material = _from_1(state, spec, imported[index])
		material.resource_name = imported[index].resource_name
		replacement[imported[index]] = material
	if not replacement.is_empty():
		_swap(root, replacement)
	return replacement


## The material kind of every surface, by glTF material name ("mtoon", "unlit", "pbr").
static func describe(root: Node) -> Dictionary:
	var kinds := {}
	_describe(root, kinds)
	return kinds


## Reads a material property an expression can drive (see VrmSchema material binds).
static func get_bound(material: Material, kind: String) -> Variant:
	if material is ShaderMaterial:
		var shader_material: ShaderMaterial = material
		if kind == "outlineColor":
			var outline := shader_material.next_pass as ShaderMaterial
			return outline.get_shader_parameter("outline_color") if outline != null else null
		var parameter: String = SHADER_BIND_PARAMETERS.get(kind, "")
		if parameter.is_empty():
			return null
		var value = shader_material.get_shader_parameter(parameter)
		if value == null:
			value = Vector4(1, 1, 0, 0) if kind == "uv" else Color.BLACK
		return value
	if material is BaseMaterial3D:
		var base: BaseMaterial3D = material
		match kind:
			"color":
				return base.albedo_color
			"emissionColor":
				return base.emission if base.emission_enabled else Color.BLACK
			"uv":
				return Vector4(base.uv1_scale.x, base.uv1_scale.y, base.uv1_offset.x, base.uv1_offset.y)
	return null


static func set_bound(material: Material, kind: String, value: Variant) -> void:
	if material is ShaderMaterial:
		var shader_material: ShaderMaterial = material
		if kind == "outlineColor":
			if shader_material.next_pass is ShaderMaterial:
				(shader_material.next_pass as ShaderMaterial).set_shader_parameter("outline_color", value)
			return
		var parameter: String = SHADER_BIND_PARAMETERS.get(kind, "")
		if not parameter.is_empty():
			shader_material.set_shader_parameter(parameter, value)
			if kind == "uv" and shader_material.next_pass is ShaderMaterial:
				(shader_material.next_pass as ShaderMaterial).set_shader_parameter(parameter, value)
	elif material is BaseMaterial3D:
		var base: BaseMaterial3D = material
		match kind:
			"color":
				base.albedo_color = value
			"emissionColor":
				base.emission_enabled = true
				base.emission = value
			"uv":
				var v: Vector4 = value
				base.uv1_scale = Vector3(v.x, v.y, 1.0)
				base.uv1_offset = Vector3(v.z, v.w, 0.0)


static func _describe(node: Node, kinds: Dictionary) -> void:
	if node is MeshInstance3D and node.mesh != null:
		for surface in node.mesh.get_surface_count():
			var material: Material = node.get_active_material(surface)
			if material == null:
				continue
			var kind := "other"
			if material is ShaderMaterial and material.has_meta(&"vrm_mtoon"):
				kind = "mtoon"
			elif material is BaseMaterial3D:
				kind = "unlit" if material.shading_mode == BaseMaterial3D.SHADING_MODE_UNSHADED else "pbr"
			var name := material.resource_name if not material.resource_name.is_empty() else "surface%d" % surface
			kinds[name] = kind
	for child in node.get_children():
		_describe(child, kinds)


static func _swap(node: Node, replacement: Dictionary) -> void:
	if node is MeshInstance3D and node.mesh is ArrayMesh:
		var mesh: ArrayMesh = node.mesh
		for surface in mesh.get_surface_count():
			var current := mesh.surface_get_material(surface)
			if replacement.has(current):
				mesh.surface_set_material(surface, replacement[current])
	for child in node.get_children():
		_swap(child, replacement)


# --- VRM 0.x --------------------------------------------------------------------------

static func _from_0(state: GLTFState, spec: Dictionary, imported: Material) -> ShaderMaterial:
	var floats: Dictionary = spec["floats"]
	var vectors: Dictionary = spec["vectors"]
	var textures: Dictionary = spec["textures"]
	var blend_mode := int(floats.get("_BlendMode", 0))
	var alpha: String = ["opaque", "cutout", "blend", "blend_zwrite"][clampi(blend_mode, 0, 3)]
	var cull: String = ["disabled", "front", "back"][clampi(int(floats.get("_CullMode", 2)), 0, 2)]
	var material := _new_material(alpha, cull)
	var lit_texture := _texture(state, textures.get("_MainTex", -1))
	# VRM 0.x colours are stored gamma-encoded, as source_color uniforms expect.
	_param(material, "lit_color", _color0(vectors, "_Color", Color.WHITE))
	_param(material, "lit_texture", lit_texture)
	_param(material, "shade_color", _color0(vectors, "_ShadeColor", Color(0.97, 0.81, 0.86)))
	var shade_texture := _texture(state, textures.get("_ShadeTexture", -1))
	_param(material, "shade_texture", shade_texture if shade_texture != null else lit_texture)
	# MToon 0.x shades over [shift, lerp(1, shift, toony)]; MToon 1.0 uses centre and margin.
	var shift := float(floats.get("_ShadeShift", 0.0))
	var toony := float(floats.get("_ShadeToony", 0.9))
	var range_min := shift
	var range_max := lerpf(1.0, shift, toony)
	_param(material, "shading_toony", clampf((2.0 - (range_max - range_min)) * 0.5, 0.0, 1.0))
	_param(material, "shading_shift", clampf(-(range_max + range_min) * 0.5, -1.0, 1.0))
	_param(material, "normal_texture", _texture(state, textures.get("_BumpMap", -1)))
	_param(material, "normal_scale", float(floats.get("_BumpScale", 1.0)))
	_param(material, "emission_color", _color0(vectors, "_EmissionColor", Color.BLACK))
	_param(material, "emission_texture", _texture(state, textures.get("_EmissionMap", -1)))
	_param(material, "rim_color", _color0(vectors, "_RimColor", Color.BLACK))
	_param(material, "rim_fresnel_power", float(floats.get("_RimFresnelPower", 1.0)))
	_param(material, "rim_lift", float(floats.get("_RimLift", 0.0)))
	_param(material, "rim_multiply_texture", _texture(state, textures.get("_RimTexture", -1)))
	_param(material, "matcap_texture", _texture(state, textures.get("_SphereAdd", -1)))
	_param(material, "alpha_cutoff", float(floats.get("_Cutoff", 0.5)))
	var st: Array = vectors.get("_MainTex", [0.0, 0.0, 1.0, 1.0])
	var uv := Vector4(1, 1, 0, 0)
	if st.size() >= 4:
		# Unity texture offsets count from the bottom of the image.
		uv = Vector4(float(st[2]), float(st[3]), float(st[0]), 1.0 - float(st[3]) - float(st[1]))
	_param(material, "uv_scale_offset", uv)
	_param(material, "uv_scroll", Vector2(float(floats.get("_UvAnimScrollX", 0.0)), float(floats.get("_UvAnimScrollY", 0.0))))
	_param(material, "uv_rotation", float(floats.get("_UvAnimRotation", 0.0)) * TAU)
	var outline_mode := int(floats.get("_OutlineWidthMode", 0))
	var width := float(floats.get("_OutlineWidth", 0.0)) * 0.01
	if outline_mode > 0 and width > 0.0:
		var outline := _new_outline(alpha)
		_param(outline, "outline_width", width)
		_param(outline, "screen_space", outline_mode == 2)
		_param(outline, "outline_width_texture", _texture(state, textures.get("_OutlineWidthTexture", -1)))
		_param(outline, "outline_color", _color0(vectors, "_OutlineColor", Color.BLACK))
		_param(outline, "outline_lighting_mix", float(floats.get("_OutlineLightingMix", 1.0)) if int(floats.get("_OutlineColorMode", 0)) == 1 else 0.0)
		_share_lit(material, outline)
		material.next_pass = outline
	return material


# --- VRM 1.0 --------------------------------------------------------------------------

static func _from_1(state: GLTFState, spec: Dictionary, imported: Material) -> ShaderMaterial:
	var mtoon: Dictionary = spec["mtoon"]
	var gltf: Dictionary = spec["gltf"]
	var alpha := "opaque"
	match str(gltf.get("alphaMode", "OPAQUE")):
		"MASK":
			alpha = "cutout"
		"BLEND":
			alpha = "blend_zwrite" if bool(mtoon.get("transparentWithZWrite", false)) else "blend"
	var cull := "disabled" if bool(gltf.get("doubleSided", false)) else "back"
	var material := _new_material(alpha, cull)
	var pbr: Dictionary = gltf.get("pbrMetallicRoughness", {})
	# glTF and VRMC factors are linear; source_color uniforms take sRGB.
	_param(material, "lit_color", _color1(pbr.get("baseColorFactor", [1, 1, 1, 1]), Color.WHITE))
	var lit_texture := _texture(state, _index(pbr.get("baseColorTexture", {})))
	_param(material, "lit_texture", lit_texture)
	_param(material, "shade_color", _color1(mtoon.get("shadeColorFactor", [0, 0, 0]), Color.BLACK))
	_param(material, "shade_texture", _texture(state, _index(mtoon.get("shadeMultiplyTexture", {}))))
	_param(material, "shading_shift", float(mtoon.get("shadingShiftFactor", 0.0)))
	_param(material, "shading_toony", float(mtoon.get("shadingToonyFactor", 0.9)))
	var shift_texture: Dictionary = mtoon.get("shadingShiftTexture", {})
	_param(material, "shading_shift_texture", _texture(state, _index(shift_texture)))
	_param(material, "shading_shift_texture_scale", float(shift_texture.get("scale", 1.0)) if _index(shift_texture) >= 0 else 0.0)
	_param(material, "matcap_color", _color1(mtoon.get("matcapFactor", [1, 1, 1]), Color.WHITE))
	_param(material, "matcap_texture", _texture(state, _index(mtoon.get("matcapTexture", {}))))
	_param(material, "rim_multiply_texture", _texture(state, _index(mtoon.get("rimMultiplyTexture", {}))))
	var normal: Dictionary = gltf.get("normalTexture", {})
	_param(material, "normal_texture", _texture(state, _index(normal)))
	_param(material, "normal_scale", float(normal.get("scale", 1.0)))
	_param(material, "emission_color", _color1(gltf.get("emissiveFactor", [0, 0, 0]), Color.BLACK))
	_param(material, "emission_texture", _texture(state, _index(gltf.get("emissiveTexture", {}))))
	_param(material, "rim_color", _color1(mtoon.get("parametricRimColorFactor", [0, 0, 0]), Color.BLACK))
	_param(material, "rim_fresnel_power", float(mtoon.get("parametricRimFresnelPowerFactor", 5.0)))
	_param(material, "rim_lift", float(mtoon.get("parametricRimLiftFactor", 0.0)))
	_param(material, "alpha_cutoff", float(gltf.get("alphaCutoff", 0.5)))
	if imported is BaseMaterial3D:
		var base: BaseMaterial3D = imported
		_param(material, "uv_scale_offset", Vector4(base.uv1_scale.x, base.uv1_scale.y, base.uv1_offset.x, base.uv1_offset.y))
	_param(material, "uv_scroll", Vector2(float(mtoon.get("uvAnimationScrollXSpeedFactor", 0.0)),
		float(mtoon.get("uvAnimationScrollYSpeedFactor", 0.0))))
	_param(material, "uv_rotation", float(mtoon.get("uvAnimationRotationSpeedFactor", 0.0)))
	var outline_mode := str(mtoon.get("outlineWidthMode", "none"))
	var width := float(mtoon.get("outlineWidthFactor", 0.0))
	if outline_mode != "none" and width > 0.0:
		var outline := _new_outline(alpha)
		_param(outline, "outline_width", width)
		_param(outline, "screen_space", outline_mode == "screenCoordinates")
		_param(outline, "outline_width_texture", _texture(state, _index(mtoon.get("outlineWidthMultiplyTexture", {}))))
		_param(outline, "outline_color", _color1(mtoon.get("outlineColorFactor", [0, 0, 0]), Color.BLACK))
		_param(outline, "outline_lighting_mix", float(mtoon.get("outlineLightingMixFactor", 1.0)))
		_share_lit(material, outline)
		material.next_pass = outline
	return material


# --- helpers --------------------------------------------------------------------------

static func _new_material(alpha: String, cull: String) -> ShaderMaterial:
	var material := ShaderMaterial.new()
	material.shader = _variant(MTOON_PATH, alpha, "cull_%s, diffuse_lambert, specular_disabled" % cull)
	material.set_meta(&"vrm_mtoon", {"alpha": alpha, "cull": cull})
	if alpha.begins_with("blend"):
		material.render_priority = 1
	return material


static func _new_outline(alpha: String) -> ShaderMaterial:
	var outline := ShaderMaterial.new()
	outline.shader = _variant(OUTLINE_PATH, alpha, "unshaded, cull_front")
	outline.set_meta(&"vrm_mtoon_outline", true)
	return outline


## A shader with the file's render_mode line replaced and the alpha mode's define added.
static func _variant(path: String, alpha: String, modes: String) -> Shader:
	var key := "%s|%s|%s" % [path, alpha, modes]
	if _shaders.has(key):
		return _shaders[key]
	var source: Shader = ResourceLoader.load(path)
	var lines := source.code.split("\n")
	if alpha == "blend_zwrite":
		modes += ", depth_draw_always"
	for i in lines.size():
		if lines[i].begins_with(RENDER_MODE_PREFIX):
			var defines := ""
			if alpha == "cutout":
				defines = "\n#define MTOON_CUTOUT"
			elif alpha.begins_with("blend"):
				defines = "\n#define MTOON_BLEND"
			lines[i] = RENDER_MODE_PREFIX + modes + ";" + defines
			break
	var shader := Shader.new()
	shader.code = "\n".join(lines)
	_shaders[key] = shader
	return shader


static func _share_lit(material: ShaderMaterial, outline: ShaderMaterial) -> void:
	for name in ["lit_color", "lit_texture", "uv_scale_offset", "alpha_cutoff"]:
		var value = material.get_shader_parameter(name)
		if value != null:
			outline.set_shader_parameter(name, value)


static func _param(material: ShaderMaterial, name: String, value) -> void:
	if value != null:
		material.set_shader_parameter(name, value)


static func _index(info) -> int:
	if info is Dictionary and info.has("index"):
		return int(info["index"])
	return -1


static func _texture(state: GLTFState, index) -> Texture2D:
	var i := int(index)
	var textures := state.get_textures()
	if i < 0 or i >= textures.size():
		return null
	var image_index: int = textures[i].src_image
	var images := state.get_images()
	if image_index < 0 or image_index >= images.size():
		return null
	return images[image_index]


static func _color0(vectors: Dictionary, key: String, fallback: Color) -> Color:
	var v = vectors.get(key, null)
	if v is Array and v.size() >= 3:
		return Color(float(v[0]), float(v[1]), float(v[2]), float(v[3]) if v.size() > 3 else 1.0)
	return fallback


static func _color1(v, fallback: Color) -> Color:
	if v is Array and v.size() >= 3:
		var linear := Color(float(v[0]), float(v[1]), float(v[2]), float(v[3]) if v.size() > 3 else 1.0)
		var srgb := linear.linear_to_srgb()
		srgb.a = linear.a
		return srgb
	return fallback
