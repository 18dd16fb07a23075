# schemathesis hooks for `npm run fuzz` (scripts/fuzzApi.ts passes this file in SCHEMATHESIS_HOOKS).
#
# An upload's file part may be a JPEG, a PNG or a PDF (the OpenAPI document's `encoding`).
# schemathesis serialises the two images itself but knows no serialiser for application/pdf, and
# whenever it picked that type for a generated upload it stopped with "Serialization not possible",
# which failed the run now and then. A PDF part is sent as its bytes, as an octet stream is.
import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
