/**
 * Of two OCR threads started together (consecutive thread ids), one opens and one fails: the pool
 * must stop the one that opened without treating its exit as a thread to replace.
 */
import { threadId } from 'node:worker_threads';

if (threadId % 2 === 0) throw new Error('no models in this thread');
await import('./scriptedOcrThread.ts');
