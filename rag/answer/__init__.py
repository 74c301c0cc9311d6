"""Answering one question: retrieve, select evidence, prompt, read, cite, check, decide.

Each step is a function over one public per-question record (`record.Record`); `rag.pipeline.RAG`
holds the resources and runs the steps in order.
"""
