"""Use cases. Each public function does one thing inside one unit of work."""
