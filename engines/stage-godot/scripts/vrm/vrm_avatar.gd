## The avatar root the loader returns; expressions are a no-op in the stand-in loader.
extends Node3D


func set_expression(_expression_name: String, _weight: float) -> void:
	pass
