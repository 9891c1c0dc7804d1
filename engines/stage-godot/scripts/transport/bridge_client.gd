## The stage end of the bridge: a WebSocketPeer client that says hello and relays envelopes.
##
## The socket is polled on its own thread so pings are answered within a fraction of a
## millisecond even while the main loop sleeps between frames or imports a model;
## every other envelope is handed to the main thread through an inbox and emitted there.
extends Node

signal welcomed
signal message_received(envelope: Dictionary)
signal bridge_closed(code: int, reason: String)

const Envelope := preload("res://scripts/transport/envelope.gd")

## After traffic, poll every 20 µs for this long, then every 2 ms. Only pings are answered
## on this thread (everything else waits for the next frame anyway), and back-to-back
## pings keep it hot; 5 ms rather than 200 ms cut the stage's CPU during 30 Hz lip-sync
## traffic from 14 % to 8 % of a core (with the 1 µs timer slack the host starts it with).
const HOT_USEC := 5_000
const HOT_SLEEP_USEC := 20
const IDLE_SLEEP_USEC := 2_000

var _peer := WebSocketPeer.new()
var _mutex := Mutex.new()
var _thread := Thread.new()
var _inbox: Array[Dictionary] = []
var _running := false
var _closed := false
var _close_code := -1
var _close_reason := ""
var _token := ""
var _engine := ""


## Connects to `url`; the hello (with `token`) is sent as soon as the socket opens.
func open(url: String, token: String, engine: String) -> Error:
	_token = token
	_engine = engine
	_peer.inbound_buffer_size = Envelope.MAX_FRAME_BYTES + 4096
	_peer.outbound_buffer_size = Envelope.MAX_FRAME_BYTES + 4096
	_peer.max_queued_packets = 4096
	var err := _peer.connect_to_url(url)
	if err != OK:
		return err
	_running = true
	_thread.start(_poll_loop)
	return OK


## Sends one envelope; safe from any thread. Returns false when the bridge is gone.
func send(kind: String, payload: Dictionary, re: String = "") -> bool:
	return _send_text(Envelope.make(kind, payload, re))


func close() -> void:
	_mutex.lock()
	if _peer.get_ready_state() == WebSocketPeer.STATE_OPEN:
		_peer.close(1000, "stage quitting")
	_mutex.unlock()


func _process(_delta: float) -> void:
	_mutex.lock()
	var messages := _inbox.duplicate()
	_inbox.clear()
	var closed := _closed
	_mutex.unlock()
	for message in messages:
		if message["type"] == "welcome":
			welcomed.emit()
		else:
			message_received.emit(message)
	if closed and _running:
		_running = false
		_thread.wait_to_finish()
		bridge_closed.emit(_close_code, _close_reason)


func _exit_tree() -> void:
	if _running:
		_running = false
		close()
		_thread.wait_to_finish()


func _send_text(text: String) -> bool:
	_mutex.lock()
	var ok := _peer.get_ready_state() == WebSocketPeer.STATE_OPEN and _peer.send_text(text) == OK
	if ok:
		_peer.poll()  # flush now rather than on the poll thread's next turn
	_mutex.unlock()
	return ok


func _poll_loop() -> void:
	var said_hello := false
	var hot_until := 0
	while _running:
		var busy := false
		_mutex.lock()
		_peer.poll()
		var state := _peer.get_ready_state()
		if state == WebSocketPeer.STATE_OPEN:
			if not said_hello:
				said_hello = true
				_peer.send_text(Envelope.make("hello", {
					"token": _token, "protocol": Envelope.PROTOCOL_VERSION, "engine": _engine,
				}))
			while _peer.get_available_packet_count() > 0:
				busy = true
				_receive(_peer.get_packet().get_string_from_utf8())
			if busy:
				_peer.poll()  # flush the replies (pongs) now, not after the next sleep
		elif state == WebSocketPeer.STATE_CLOSED:
			_close_code = _peer.get_close_code()
			_close_reason = _peer.get_close_reason()
			_closed = true
			_mutex.unlock()
			return
		_mutex.unlock()
		var now := Time.get_ticks_usec()
		if busy:
			hot_until = now + HOT_USEC
		OS.delay_usec(HOT_SLEEP_USEC if now < hot_until else IDLE_SLEEP_USEC)


## Runs on the poll thread with the mutex held.
func _receive(text: String) -> void:
	var envelope := Envelope.parse(text, Envelope.HOST_TO_STAGE)
	if not envelope["ok"]:
		printerr("bridge: refused a frame (%s): %s" % [envelope["code"], envelope["message"]])
		_peer.send_text(Envelope.make("error", {
			"code": envelope["code"], "message": envelope["message"],
		}, envelope["re"]))
		return
	match envelope["type"]:
		"ping":
			_peer.send_text(Envelope.make("pong", {}, envelope["id"]))
		"error":
			printerr("bridge: the host refused our frame %s: %s" % [envelope["re"],
					envelope["payload"]["message"]])
		_:
			_inbox.append(envelope)
