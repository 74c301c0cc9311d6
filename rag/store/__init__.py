"""Where the chunks and their vectors live: a FAISS folder (the default) or PostgreSQL."""
