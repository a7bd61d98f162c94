"""Everything that talks to an outside system: Graph, SharePoint, the directory, the LLM."""
