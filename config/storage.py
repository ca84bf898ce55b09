"""Static files as production serves them: WhiteNoise's compressed, hashed copies, with the
ES module imports of the handheld apps rewritten to the hashed names too (Django leaves
`import … from "./x.js"` alone unless asked). Without it a hashed app.js would load unhashed
modules: a stale mix after a deploy, and modules the service worker has not cached."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
