"""The OpenAPI 3.1 document of the speech server, written by hand and served at /openapi.json.

The WebSocket route is described as its upgrade request (GET answering 101); its
frames are the streaming protocol of ``app.speech.protocol``.
"""

from __future__ import annotations

from typing import Any

from app import __version__

__all__ = ["document"]

_ERROR: dict[str, Any] = {"$ref": "#/components/responses/Error"}
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    voices = {
        "get": {
            "summary": "Voices of the streaming upstream (its own /api/voices list)",
            "security": _AUTH,
            "responses": {
                "200": _json({"$ref": "#/components/schemas/VoiceList"}, "the voices"),
                "401": _ERROR,
                "502": _ERROR,
                "503": _ERROR,
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Companion Stage speech server",
            "version": __version__,
            "description": "Streaming TTS proxy with token auth and flux billing.",
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness and database reachability",
                    "responses": {
                        "200": _json({"type": "object"}, "healthy"),
                        "503": _json({"type": "object"}, "database unreachable"),
                    },
                }
            },
            "/api/v1/me": {
                "get": {
                    "summary": "The token's user: name, opaque person id, balance",
                    "security": _AUTH,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Me"}, "the user"),
                        "401": _ERROR,
                    },
                }
            },
            "/api/v1/audio/speech": {
                "post": {
                    "summary": "Speak a text (OpenAI-compatible body), billed like a session",
                    "security": _AUTH,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SpeechRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "the audio",
                            "headers": {
                                h: {"schema": {"type": "string"}}
                                for h in (
                                    "X-Flux-Charged",
                                    "X-Flux-Unbilled",
                                    "X-Flux-Balance",
                                    "X-Session-Id",
                                    "X-Sample-Rate",
                                )
                            },
                            "content": {
                                "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                                "audio/pcm": {"schema": {"type": "string", "format": "binary"}},
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                        "402": _ERROR,
                        "502": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/api/v1/audio/voices": voices,
            "/api/v1/audio/voices/streaming": voices,
            "/api/v1/audio/models": {
                "get": {
                    "summary": "The model of the configured upstream",
                    "security": _AUTH,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/ModelList"}, "the models"),
                        "401": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/api/v1/audio/speech/ws": {
                "get": {
                    "summary": "Bidirectional streaming TTS (WebSocket upgrade)",
                    "description": (
                        "Token in the Authorization header or a first frame "
                        '{"event":"auth","token":…}, '
                        "never in the URL. Up: start, text, finish, cancel. Down: binary audio, "
                        "session.started, sentence.start, sentence.end, subtitle, session.finished "
                        "{usage: {text_words, flux_charged, flux_unbilled}}, "
                        "error {code, message}. "
                        "Close codes: 4401 unauthorized, 4402 insufficient flux, 1008 bad frame, "
                        "1009 frame too large, 1011 upstream or server failure."
                    ),
                    "security": _AUTH,
                    "responses": {"101": {"description": "switching to the WebSocket protocol"}},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": _json({"$ref": "#/components/schemas/Error"}, "an error")},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "SpeechRequest": {
                    "type": "object",
                    "required": ["input"],
                    "properties": {
                        "model": {"type": "string"},
                        "input": {"type": "string", "minLength": 1, "maxLength": 4096},
                        "voice": {"type": "string"},
                        "response_format": {
                            "type": "string",
                            "enum": ["wav", "pcm"],
                            "default": "wav",
                        },
                        "speed": {
                            "type": "number",
                            "minimum": 0.25,
                            "maximum": 4.0,
                            "default": 1.0,
                        },
                    },
                },
                "Me": {
                    "type": "object",
                    "required": ["user", "person_id", "flux"],
                    "properties": {
                        "user": {"type": "string"},
                        "person_id": {"type": "string"},
                        "flux": {"type": "integer"},
                    },
                },
                "VoiceList": {
                    "type": "object",
                    "properties": {
                        "voices": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "language": {"type": "string"},
                                    "provider": {"type": "string"},
                                },
                            },
                        }
                    },
                },
                "ModelList": {
                    "type": "object",
                    "properties": {
                        "object": {"type": "string"},
                        "data": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "object": {"type": "string"},
                                    "owned_by": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
