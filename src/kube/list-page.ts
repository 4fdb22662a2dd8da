/**
 * One page of a list (`GET path?limit=N&continue=T`) for the list+watch loop, sent like the
 * watch (kube-request.ts) and read as the plain JSON the watch lines are: Events and Nodes reach
 * the rest of kubeding in one wire shape, however they came.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { openKubeGet } from './kube-request.ts'
import type { ListPage, ListPageFn } from './watch-state.ts'

/** A page bigger than this is refused: 500 Nodes with every condition and image are ~10 MiB. */
export const MAX_LIST_PAGE_BYTES = 64 * 1024 * 1024
/** No byte for this long counts as a dead connection (the loop's own list timeout is longer). */
const LIST_IDLE_MS = 30_000

/** The part of a `*List` the loop needs. */
interface WireList {
  items?: unknown[] | null
  metadata?: { resourceVersion?: string; continue?: string }
}

/** Reads the whole body; throws once it passes `maxBytes`. */
async function readBody(body: AsyncIterable<Buffer>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxBytes)
      throw new Error(`a list page exceeded ${Math.round(maxBytes / 1024 / 1024)} MiB`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** Turns a list body into a page; an answer that is not a list is an error, not an empty page. */
export function toListPage(text: string): ListPage {
  const list = JSON.parse(text) as WireList | null
  if (typeof list !== 'object' || list === null || !('items' in list))
    throw new Error('the API server answered a list request with something that is not a list')
  return {
    items: list.items ?? [],
    resourceVersion: list.metadata?.resourceVersion ?? '',
    continueToken: list.metadata?.continue || undefined,
  }
}

/** Lists `path` (e.g. `/api/v1/events`) a page at a time; a page over `maxBytes` fails. */
export function listPageOf(
  kc: KubeConfig,
  path: string,
  maxBytes = MAX_LIST_PAGE_BYTES,
): ListPageFn {
  return async ({ limit, continueToken, signal }) => {
    const response = await openKubeGet({
      kc,
      path,
      query: { limit: String(limit), ...(continueToken ? { continue: continueToken } : {}) },
      signal,
      idleTimeoutMs: LIST_IDLE_MS,
    })
    try {
      return toListPage(await readBody(response, maxBytes))
    } catch (error) {
      throw signal.aborted ? signal.reason : error
    } finally {
      response.destroy()
    }
  }
}
