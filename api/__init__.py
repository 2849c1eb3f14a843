"""The HTTP API of mxlims-store: a FastAPI app over the library.

The lifespan opens the store once; routes are thin (parse, one library call, response model);
the library's exception tree becomes HTTP in one handler (`mxlims_store.api.errors`). Build it with
:func:`mxlims_store.api.main.create_app`.
"""
