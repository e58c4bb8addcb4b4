"""Language models as proposers: OpenAI-compatible client, prompt templates, parsing of
answers and SEARCH/REPLACE diffs, the local llama.cpp server, and a stand-in server for
benchmarks and fault tests."""
