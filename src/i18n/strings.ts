/**
 * Every sentence kubeding says in the group, as one plain object per language (`en.ts`,
 * `zh-cn.ts`): alerts, digests, node messages, notices, chat replies and error replies. Object
 * names, reasons, namespaces, ids and commands are never translated: tests and greps rely on them.
 */
import type { Markdown } from '../draft/rich-text.ts'
import type { Language } from './language.ts'

/** Words and sentences of one language. Functions take the untranslated values they quote. */
export interface Strings {
  language: Language
  /** `Warning` / `Normal` as the level word, and the resolved word. */
  level(type: string): string
  resolved: string
  /** A span of time: `45s`, `12 min`, `2 h 5 min`. */
  span(ms: number): string
  /** `3 min ago`, `just now`. */
  ago(ms: number): string

  alert: {
    noMessage: string
    /** The facts line: `4 times`. */
    times(n: number): string
    first(at: string, ago: string): string
    last(at: string, ago: string): string
    source(component: string, host: string): string
    /** A repeat's title tail: `still happening: ×7 since 14:03`. */
    repeat(n: number, since: string): string
    muteLink(duration: string): string
    nodesLink: string
  }
  digest: {
    title(total: number, alerts: number): string
    /** `from` is undefined when everything happened at `to`. */
    window(from: string | undefined, to: string, ago: string): string
    byNamespace: string
    byReason: string
    clusterWide: string
    others(k: number, n: number): string
    topObjects: string
    moreObjects(n: number): string
    seeAll: string
    seeAllWith(command: string): string
  }
  node: {
    since(condition: string, status: string, at: string, ago: string): string
    state(ready: string, schedulable: boolean): string
    flips(n: number): string
    resolved(condition: string, lasted: string, from: string, to: string): string
    /** The notification title of a resolved message: what a phone shows first. */
    resolvedTitle(object: string, condition: string, lasted: string): string
  }
  notice: {
    muteEndedTitle(id: string): string
    muteRanOut(id: string, selector: string, lasted: string): string
    muteEndedBy(id: string, selector: string, by: string): string
    heldBack(n: number): string
    testTitle: string
    testLine(robot: string): string
    watchDownTitle: string
    /** `since`: when the watch was lost; `error`: the last error (English, from the client). */
    watchDown(since: string, error: string): string
    watchDownMeanwhile: string
    watchBackTitle: string
    watchBack(since: string, lasted: string, caught: number): string
    moreLines(n: number): string
  }
  /** The hint line: what to check first, then the command that shows it. */
  hint(what: string, command: string): string
  /** One-line hints by what to check first. */
  hints: {
    crashLoop: string
    oom: string
    scheduling: string
    mount: string
    probe: string
    sandbox: string
    image: string
    evicted: string
    nodeNotReady: string
    kernelDeadlock: string
    taskHung: string
    kernelOops: string
    readonlyFs: string
    dockerOverlay: string
    runtimeRestart: string
    runtimeUnhealthy: string
    diskError: string
    ntp: string
    pressure: string
    network: string
    nodeProblem: string
  }
  chat: {
    helpTitle: string
    helpKeys: string
    /** The other language's way to write the same commands. */
    helpBothLanguages: string
    unknownCommand(word: string): string
    commandList: string
    usage: string
    sorryTitle: string
    sorry(ref: string): string
    /** Titles of refusals, as sentences: never the code. */
    errorTitle: Record<string, string>
    moreLines(n: number): string
    rateLimited(n: number, waitSeconds: number): string
    /** The group's budget (several senders) is spent. */
    groupRateLimited(n: number, waitSeconds: number): string
    /** The bot's own budget (every group together) is spent. */
    busy(n: number, waitSeconds: number): string
    /** `mute name=*` alone: it would silence everything. */
    matchesEverything: string
    notText: string
    /** Another replica already ran this message (several replicas). */
    alreadyAnsweredTitle: string
    alreadyAnswered: string
    conversationNotAllowed(id: string): string
    notAdmin(command: string): string
    /** The text starts with `key=value` (or `=`) instead of a command word. */
    commandWordFirst: string
    /** An `=` with no key in front of it. */
    equalsWithoutKey: string
    /** Argument errors, naming the key. */
    givenTwice(key: string): string
    noArguments(key: string): string
    unknownKey(key: string, keys: string): string
    emptyValue(key: string): string
    unexpectedWord(word: string): string
    required(key: string): string
  }
  /** What is wrong with a typed value; `value` is quoted and clipped already. */
  args: {
    notNamespace(value: string): string
    notKind(value: string): string
    notName(value: string): string
    notReason(value: string): string
    notLevel(value: string): string
    notDuration(value: string): string
    atLeast(limit: string, value: string): string
    atMost(limit: string, value: string): string
    wholeNumber(max: number, value: string): string
    notMuteId: string
  }
  /** The commands' replies. */
  commands: {
    /** What each command does, by its name (`help` lists them). */
    summary: Readonly<Record<string, string>>
    help: { example: string }
    events: {
      what(level: string, ns: string | undefined): string
      window(since: string): string
      none(what: string, window: string): string
      noneTitle(what: string): string
      title(n: number, what: string, window: string): string
      clusterWide: string
      more(max: number): string
    }
    mute: {
      title(id: string): string
      on(id: string, selector: string, ends: string): Markdown
      after(id: string): string
      missingKey: string
      tooMany: (max: number) => string
    }
    unmute: {
      noneTitle: string
      none: string
      title(ids: string): string
      ended(id: string, selector: string, heldBack: number): Markdown
      notActive(id: string): string
    }
    mutes: {
      noneTitle: string
      title(n: number): string
      one(
        id: string,
        selector: string,
        by: string,
        ago: string,
        ends: string,
        heldBack: number,
      ): Markdown
      none: string
      latest: string
      change(ago: string, who: string, command: string, outcome: string): string
    }
    nodes: {
      allFineTitle(total: number): string
      allFine(total: number): string
      title(n: number, total: number): string
      more(n: number): string
      ready(ready: string): string
      problem(type: string, status: string, since: string, reason: string): string
    }
    status: {
      title(cluster: string, state: string): string
      cluster: string
      watchLabel: string
      alertsLabel: string
      versionLabel: string
      watch(state: string, since: string, resync: string | undefined): string
      eventsTakenIn: string
      alerts(sent: number, queued: number, muted: number, dropped: number, refused: string): string
      /**
       * What a refusal meant, given the English the errcode table (dingtalk/errcodes.ts) or the
       * status snapshot (`HTTP 502 (not a DingTalk answer)`) says: in the chat's language.
       */
      refusal(meaning: string): string
      throttled: string
      none: string
      until(robot: string, when: string): string
      store: string
      /** The store cannot be written: `problem` says why and what to do (English, from the log). */
      storeFailing(problem: string): string
      version(version: string, up: string): string
      /** With leader election: who leads, and each replica (`self` is the one answering). */
      replicasLabel: string
      replicas(leader: string, members: string): string
      replica(name: string, self: boolean, watch: string, seen: string): string
    }
    /** `in 45m` / `now`. */
    until(ms: number): string
  }
}
