/** A recognition lane thread whose session cannot open: it fails before it is ready. */
throw new Error('no model in this thread');
