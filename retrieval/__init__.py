"""Extraction, chunking, embedding, the hybrid index with ACL pre-filtering, and ingestion."""
