"""Services: each public function takes a session (from a unit of work) and does one
operation; the caller's unit of work commits it once."""
