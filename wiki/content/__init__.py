"""The knowledge base's content as files: starter pages, import and export."""
