/**
 * Glue between the generated CoreV1Api list calls and the list+watch loop.
 */
import { type ConfigurationOptions, Observable } from '@kubernetes/client-node'
import type { ListPage } from './watch-state.ts'

/** The part of a generated `*List` model the loop needs. */
export interface ApiList {
  items: object[]
  metadata?: { resourceVersion?: string; _continue?: string }
}

/**
 * Turns a generated list model into a page of wire-shaped objects. The generated client turns
 * timestamps into `Date`s while watch lines arrive as plain JSON; a JSON round trip (Date →
 * ISO string, model field names are the wire names for Event and Node) gives downstream code
 * one shape to read, whichever way an object came.
 */
export function toListPage(list: ApiList): ListPage {
  return {
    items: JSON.parse(JSON.stringify(list.items ?? [])) as unknown[],
    resourceVersion: list.metadata?.resourceVersion ?? '',
    continueToken: list.metadata?._continue || undefined,
  }
}

/**
 * Per-call options that make a generated API call abortable through `signal`. The object-param
 * API (`api.listNode({...}, options)`) hands these to its Observable layer, so the middleware
 * returns the library's Observable, not a Promise.
 */
export function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal)
          return new Observable(Promise.resolve(context))
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  }
}
