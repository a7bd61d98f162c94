"""Starting the embedded default on loopback: dev tenant, llama.cpp server, sync, the app.

Used by ``make run`` (``python -m devstack``) and by the integration tests, so that both run the
same processes the same way. Every child gets ``--parent-pid``-style supervision or is killed
when the stack stops; servers bind 127.0.0.1 only.
"""
