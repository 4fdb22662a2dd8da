/** English. */
import { formatSpan } from '../chatops/format-age.ts'
import { md } from '../draft/rich-text.ts'
import type { Strings } from './strings.ts'

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `45s`, `3m`, `2h 5m`, `3d 4h`. */
const span = formatSpan

export const en: Strings = {
  language: 'en',
  level: (type) => (type === 'Warning' ? 'Warning' : type === 'Normal' ? 'Normal' : type),
  resolved: 'Resolved',
  span,
  ago: (ms) => (ms < 1_000 ? 'just now' : `${span(ms)} ago`),

  alert: {
    noMessage: '(no message)',
    times: (n) => plural(n, 'time'),
    first: (at, ago) => `first ${at} (${ago})`,
    last: (at, ago) => `last ${at} (${ago})`,
    source: (component, host) =>
      component && host ? `${component} on ${host}` : component || host,
    repeat: (n, since) => `still happening: ${plural(n, 'more time')} since ${since}`,
    muteLink: (duration) => `Mute ${duration}`,
    nodesLink: 'Show nodes',
  },
  digest: {
    title: (total, alerts) => `${plural(total, 'occurrence')} in ${plural(alerts, 'alert')}`,
    window: (from, to, ago) => `${from === undefined ? to : `${from} – ${to}`} (latest ${ago})`,
    byNamespace: 'By namespace',
    byReason: 'By reason',
    clusterWide: 'cluster-wide',
    others: (k, n) => `${plural(k, 'other')} ${n}`,
    topObjects: 'Most affected objects',
    moreObjects: (n) => `… and ${plural(n, 'more object')}`,
    seeAll: 'See them all',
    seeAllWith: (command) => `See them all: ${command}`,
  },
  node: {
    since: (condition, status, at, ago) => `${condition}=${status} since ${at} (${ago})`,
    state: (ready, schedulable) =>
      `node ${ready === 'True' ? 'Ready' : `NotReady (${ready})`}, ${schedulable ? 'schedulable' : 'cordoned'}`,
    flips: (n) => `turned into a problem ${plural(n, 'time')} meanwhile`,
    resolved: (condition, lasted, from, to) =>
      `${condition} is back to normal after ${lasted} (${from} – ${to}).`,
    resolvedTitle: (object, condition, lasted) =>
      `Resolved ${object}: ${condition} after ${lasted}`,
  },
  notice: {
    muteEndedTitle: (id) => `Mute ${id} ended`,
    muteRanOut: (id, selector, lasted) => `Mute ${id} (${selector}) ran out after ${lasted}.`,
    muteEndedBy: (id, selector, by) => `Mute ${id} (${selector}) was ended early by ${by}.`,
    heldBack: (n) =>
      `It held back ${n === 0 ? 'no alerts' : plural(n, 'alert')}; matching events alert again from now.`,
    testTitle: 'kubeding test message',
    testLine: (robot) => `If you can read this, robot ${robot} is set up right.`,
    watchDownTitle: 'Lost contact with the Kubernetes API server',
    watchDown: (since, error) => `No events since ${since}: ${error}.`,
    watchDownMeanwhile:
      'Alerts resume, with what was missed, as soon as it is back; chat commands answer from the local archive meanwhile.',
    watchBackTitle: 'Back in contact with the Kubernetes API server',
    watchBack: (since, lasted, caught) =>
      `Lost from ${since} for ${lasted}; caught up on ${plural(caught, 'event')} since.`,
    moreLines: (n) => `… and ${plural(n, 'more line')}`,
  },
  hint: (what, command) => `💡 ${what}: ${command}`,
  hints: {
    crashLoop: 'The container keeps crashing: read its last log',
    oom: 'Out of memory: see what was killed and the memory limits',
    scheduling: 'No node can take the pod: read why (Events at the end)',
    mount: 'A volume is not attached or mounted: check the claim and the volume',
    probe: 'A probe fails: check the probe and the app’s log',
    sandbox: 'The pod’s sandbox (network plugin or runtime) fails on its node: check the node',
    image: 'The image cannot be pulled: check its name, tag and pull secret',
    evicted: 'Evicted for lack of node resources: check the node’s pressure and allocations',
    nodeNotReady: 'The kubelet stopped reporting: check the node’s conditions and the kubelet',
    kernelDeadlock:
      'Processes are stuck in the kernel (often the runtime): check the node, then drain it',
    taskHung: 'A task hung in the kernel: check the node’s I/O and the runtime',
    kernelOops: 'The kernel reported an error: check the node’s kernel log and hardware',
    readonlyFs: 'A filesystem went read-only: check the disk, then drain and repair the node',
    dockerOverlay: 'The runtime’s overlay storage is corrupt: drain the node and clean the storage',
    runtimeRestart: 'A node service keeps restarting: check its systemd log on the node',
    runtimeUnhealthy: 'The kubelet or the container runtime is unhealthy: check the node',
    diskError: 'The disk reports errors: check the disk and move workloads off the node',
    ntp: 'The node’s clock is not synchronised: check NTP on the node',
    pressure: 'The node is short of a resource: see what uses it',
    network: 'The node’s network is not configured: check the network plugin on the node',
    nodeProblem: 'The node reports a problem: check its conditions',
  },
  chat: {
    helpTitle: 'What I understand',
    helpKeys:
      'Keys ignore case; ns= is also namespace=; name= takes * as a wildcard; quote values with spaces: reason="Back Off".',
    helpBothLanguages: 'Commands work in Chinese too: 事件 ns=prod, 静默 kind=Pod for=2h, 帮助.',
    unknownCommand: (word) => `I do not know "${word}". Type help to see what I understand.`,
    commandList: 'These are the commands I know',
    usage: 'Usage',
    sorryTitle: 'Sorry, something went wrong',
    sorry: (ref) =>
      `Sorry, something went wrong on my side. Reference: ${ref} (the operator can find it in the log).`,
    errorTitle: {
      bad_syntax: 'I could not read that command',
      unknown_command: 'I do not know that command',
      unknown_key: 'That command does not take this key',
      duplicate_key: 'A key is given twice',
      bad_value: 'A value is not right',
      missing_key: 'Something is missing',
      unexpected_argument: 'I did not expect that word',
      not_found: 'Nothing found by that id',
      not_text: 'I can only read text',
      not_admin: 'Only admins may do that',
      conversation_not_allowed: 'I do not answer in this group',
      rate_limited: 'Too many commands: please wait a little',
      group_rate_limited: 'This group sent too many commands: please wait a little',
      busy: 'I am answering too many commands: please wait a little',
      matches_everything: 'That mute would hide every alert',
      too_many_mutes: 'Too many active mutes',
    },
    moreLines: (n) => `… ${plural(n, 'more line')} left out: narrow the query`,
    rateLimited: (n, wait) =>
      `You have sent ${n} commands in the last minute; please wait ${wait}s and try again.`,
    groupRateLimited: (n, wait) =>
      `This group has sent ${n} commands in the last minute; please wait ${wait}s and try again.`,
    busy: (n, wait) =>
      `I have answered ${n} commands in the last minute, more than I take; please wait ${wait}s and try again.`,
    matchesEverything:
      'name=* alone matches every alert, so nothing was muted: add ns=, kind= or reason=, or a name like web-*',
    notText: 'I can only read text messages. Type help to see what I understand.',
    alreadyAnsweredTitle: 'Already answered',
    alreadyAnswered:
      'This message was already answered by another kubeding replica; nothing was run again.',
    conversationNotAllowed: (id) =>
      `Sorry, I only answer in the groups listed in dingtalk.outgoing.conversations, and this one (${id}) is not among them. Ask whoever runs kubeding to add it.`,
    commandWordFirst: 'Start with a command word, for example: events ns=prod',
    equalsWithoutKey: 'Found "=" with no key in front of it',
    givenTwice: (key) => `${key} is given twice`,
    noArguments: (key) => `This command takes no arguments (got "${key}=")`,
    unknownKey: (key, keys) => `Unknown key "${key}": this command takes ${keys}`,
    emptyValue: (key) => `${key}: give it a value, like ${key}=...`,
    unexpectedWord: (word) => `Did not expect "${word}": write arguments as key=value`,
    required: (key) => `${key}: is required`,
    notAdmin: (command) =>
      `Sorry, only the admins listed in dingtalk.outgoing.admins may run ${command}; commands that only read are open to everyone.`,
  },
  args: {
    notNamespace: (v) => `${v} is not a namespace name (letters, digits and -, e.g. ns=prod)`,
    notKind: (v) => `${v} is not a kind (e.g. kind=Pod, kind=Node)`,
    notName: (v) => `${v} is not an object name (letters, digits, . - : and * only)`,
    notReason: (v) => `${v} is not a reason (e.g. reason=BackOff)`,
    notLevel: (v) => `${v} is not a level: write Warning, Normal or all`,
    notDuration: (v) => `${v} is not a duration (write 30m, 2h or 7d)`,
    atLeast: (limit, v) => `at least ${limit} (got ${v})`,
    atMost: (limit, v) => `at most ${limit} (got ${v})`,
    wholeNumber: (max, v) => `must be a whole number from 1 to ${max} (got ${v})`,
    notMuteId: 'write a mute id such as m3 (see mutes), or all',
  },
  commands: {
    summary: {
      help: 'this list',
      events: 'the newest matching events (Warning, last hour, 10 unless told otherwise)',
      mute: 'hold back alerts matching every given key (default 1h, at most 7d)',
      unmute: 'end a mute early (or all of them)',
      mutes: 'the active mutes and the latest changes to them',
      nodes: 'nodes that are NotReady or report a problem (node-problem-detector included)',
      status: 'watch state, events taken in, alerts sent/queued/refused/muted, version',
    },
    help: { example: 'e.g.' },
    events: {
      what: (level, ns) => `${level === 'all' ? '' : `${level} `}events${ns ? ` in ${ns}` : ''}`,
      window: (since) => `the last ${since}`,
      none: (what, window) => `No ${what} in ${window} match. Try a longer since= or level=all.`,
      noneTitle: (what) => `No ${what}`,
      title: (n, what, window) => `${n} ${what}, ${window}`,
      clusterWide: 'cluster-wide',
      more: (max) =>
        `More match: narrow with ns=, kind=, name= or reason=, or raise limit= (up to ${max}).`,
    },
    mute: {
      title: (id) => `Muted ${id}`,
      on: (id, selector, ends) =>
        md`Mute **${id}** is on: alerts matching ${selector} are held back; it ends ${ends}.`,
      after: (id) =>
        `Held-back events are still archived (see events). End it early with: unmute ${id}`,
      missingKey:
        'Name at least one of ns=, kind=, name=, reason=: a mute of everything would hide every alert',
      tooMany: (max) =>
        `${max} mutes are already on, the most there can be, so nothing was muted: end some with unmute (see mutes), or mute with a wider selector`,
    },
    unmute: {
      noneTitle: 'No active mutes',
      none: 'There were no active mutes to end.',
      title: (ids) => `Ended ${ids}`,
      ended: (id, selector, n) =>
        md`Mute **${id}** (${selector}) ended; it held back ${n === 0 ? 'no alerts' : plural(n, 'alert')}. Matching events alert again from now.`,
      notActive: (id) => `${id} is not an active mute; type mutes to see the active ones`,
    },
    mutes: {
      noneTitle: 'No active mutes',
      title: (n) => `${plural(n, 'active mute')}`,
      one: (id, selector, by, ago, ends, n) =>
        md`**${id}** ${selector} · set by ${by} ${ago} · ends ${ends} · held back ${n === 0 ? 'no alerts' : plural(n, 'alert')} so far`,
      none: 'No active mutes: every matching event alerts.',
      latest: 'Latest changes',
      change: (ago, who, command, outcome) => `${ago}: ${who} ran "${command}" → ${outcome}`,
    },
    nodes: {
      allFineTitle: (total) => `All ${total} nodes fine`,
      allFine: (total) => `All ${total} nodes are Ready and report no problem condition.`,
      title: (n, total) => `${n} of ${total} nodes need attention`,
      more: (n) => `… and ${plural(n, 'more node')} with problems.`,
      ready: (ready) =>
        ready === 'True'
          ? 'Ready'
          : ready === 'False'
            ? 'NotReady'
            : 'NotReady (Unknown: the kubelet stopped reporting)',
      problem: (type, status, since, reason) => `${type}=${status} since ${since}: ${reason}`,
    },
    status: {
      title: (cluster, state) => `kubeding on ${cluster}: watch ${state}`,
      cluster: 'Cluster',
      watchLabel: 'Watch',
      alertsLabel: 'Alerts',
      versionLabel: 'Version',
      watch: (state, since, resync) =>
        `${state} since ${since} · ${resync === undefined ? 'no resync yet' : `last resync ${resync}`}`,
      eventsTakenIn: 'Events taken in',
      alerts: (sent, queued, muted, dropped, refused) =>
        `sent ${sent} · queued ${queued} · muted ${muted} · dropped ${dropped} · refused by DingTalk ${refused}`,
      refusal: (meaning) => meaning,
      throttled: 'Throttled robots',
      none: 'none',
      until: (robot, when) => `${robot} (until ${when})`,
      store: 'Store',
      storeFailing: (problem) => `FAILING: ${problem}`,
      version: (version, up) => `${version} · up ${up}`,
      replicasLabel: 'Replicas',
      replicas: (leader, members) =>
        `leader ${leader || 'none'} · ${members || 'none heard of yet'}`,
      replica: (name, self, watch, seen) =>
        `${name}${self ? ' (this one)' : ''}: ${watch}, seen ${seen}`,
    },
    until: (ms) => (ms < 1_000 ? 'now' : `in ${span(ms)}`),
  },
}
