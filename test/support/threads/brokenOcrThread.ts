/** An OCR thread whose engine cannot open (missing models, say): it fails before it is ready. */
throw new Error('no models in this thread');
