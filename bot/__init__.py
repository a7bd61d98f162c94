"""Channel adapters only: Teams turns (Agents SDK), the /api/ask endpoint, the dev chat page."""
