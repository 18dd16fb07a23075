/**
 * The largest file `POST /documents/upload` takes (2 MB, the API contract in DESIGN §6). The
 * service refuses anything larger with 413, and the synthetic card generator never writes larger.
 */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
