/** 简体中文 (the default). */
import { md } from '../draft/rich-text.ts'
import type { Strings } from './strings.ts'

/** `45 秒`, `12 分钟`, `2 小时 5 分钟`, `3 天 4 小时`. */
function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1_000))
  if (s < 60) return `${s} 秒`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} 分钟`
  const h = Math.floor(m / 60)
  if (h < 24) return m % 60 > 0 ? `${h} 小时 ${m % 60} 分钟` : `${h} 小时`
  const d = Math.floor(h / 24)
  return h % 24 > 0 ? `${d} 天 ${h % 24} 小时` : `${d} 天`
}

/** The level word: 警告 and 正常 for the two types. */
const level = (type: string) => (type === 'Warning' ? '警告' : type === 'Normal' ? '正常' : type)

/** The watch states `status` shows (service-status.ts). */
const WATCH_STATES: Readonly<Record<string, string>> = {
  watching: '正常',
  starting: '启动中',
  down: '中断',
}
const watchState = (state: string) => WATCH_STATES[state] ?? state

/**
 * An audit outcome as recorded (dispatcher.ts: `ok: <reply title>`, `refused: <code>`,
 * `failed: <ref>`), its English word in Chinese; the code and the reference stay as they are.
 */
const OUTCOMES: Readonly<Record<string, string>> = { ok: '成功', refused: '被拒绝', failed: '失败' }
const toOutcome = (outcome: string) =>
  outcome.replace(/^(ok|refused|failed): /, (_m, word: string) => `${OUTCOMES[word]}：`)

/**
 * DingTalk's refusals as `status` shows them, by the meaning the errcode table gives in English
 * (dingtalk/errcodes.ts), so that the table stays the one place that maps codes to meanings. A
 * meaning not listed here is shown in English.
 */
const REFUSALS: Readonly<Record<string, string>> = {
  'the robot sent more than 20 messages a minute and is throttled for up to 10 minutes':
    '机器人一分钟内发送超过 20 条，被限流最长 10 分钟',
  'the message is over 20,000 bytes': '消息超过 20,000 字节',
  'the signature does not match the robot’s 加签 secret': '签名与机器人的加签密钥不匹配',
  'the signature’s timestamp is more than an hour from DingTalk’s clock':
    '签名的时间戳与钉钉的时间相差超过一小时',
  'the message contains none of the robot’s keywords': '消息不含机器人的任何关键词',
  'this machine’s IP address is not in the robot’s IP allowlist':
    '本机 IP 不在机器人的 IP 白名单中',
  'the robot’s security settings refused the message': '机器人的安全设置拒绝了消息',
  'the access_token does not exist': 'access_token 不存在',
  'the robot is disabled or no longer exists': '机器人已停用或不存在',
  'the group was disbanded': '群已解散',
  'DingTalk is busy': '钉钉繁忙',
  'DingTalk does not support this message type (a kubeding bug)':
    '钉钉不支持该消息类型（kubeding 的缺陷）',
  'DingTalk judged a link or the content unsafe or inappropriate': '钉钉认为链接或内容不安全或不当',
  'an errcode kubeding does not know': 'kubeding 不认识的 errcode',
}

export const zhCN: Strings = {
  language: 'zh-CN',
  level,
  resolved: '恢复',
  span,
  ago: (ms) => (ms < 1_000 ? '刚刚' : `${span(ms)}前`),

  alert: {
    noMessage: '（无消息）',
    times: (n) => `共 ${n} 次`,
    first: (at, ago) => `首次 ${at}（${ago}）`,
    last: (at, ago) => `最近 ${at}（${ago}）`,
    source: (component, host) =>
      component && host ? `${host} 上的 ${component}` : component || host,
    repeat: (n, since) => `仍在发生：${since} 以来又 ${n} 次`,
    muteLink: (duration) => `静默 ${duration}`,
    nodesLink: '查看节点',
  },
  digest: {
    title: (total, alerts) => `${alerts} 条告警，共 ${total} 次`,
    window: (from, to, ago) => `${from === undefined ? to : `${from} – ${to}`}（最近一次 ${ago}）`,
    byNamespace: '按命名空间',
    byReason: '按原因',
    clusterWide: '集群级',
    others: (k, n) => `其他 ${k} 项 ${n}`,
    topObjects: '受影响最多的对象',
    moreObjects: (n) => `…… 另有 ${n} 个对象`,
    seeAll: '查看全部',
    seeAllWith: (command) => `查看全部：${command}`,
  },
  node: {
    since: (condition, status, at, ago) => `${condition}=${status}，自 ${at}（${ago}）起`,
    state: (ready, schedulable) =>
      `节点 ${ready === 'True' ? 'Ready' : `NotReady（${ready}）`}，${schedulable ? '可调度' : '已禁止调度'}`,
    flips: (n) => `期间反复出现 ${n} 次`,
    resolved: (condition, lasted, from, to) =>
      `${condition} 已恢复正常，持续 ${lasted}（${from} – ${to}）。`,
    resolvedTitle: (object, condition, lasted) => `恢复 ${object}: ${condition}，持续 ${lasted}`,
  },
  notice: {
    muteEndedTitle: (id) => `静默 ${id} 已结束`,
    muteRanOut: (id, selector, lasted) => `静默 ${id}（${selector}）已到期，共持续 ${lasted}。`,
    muteEndedBy: (id, selector, by) => `静默 ${id}（${selector}）已被 ${by} 提前结束。`,
    heldBack: (n) =>
      `期间${n === 0 ? '没有拦下告警' : `拦下了 ${n} 条告警`}；从现在起匹配的事件会再次告警。`,
    testTitle: 'kubeding 测试消息',
    testLine: (robot) => `能看到这条消息，说明机器人 ${robot} 配置正确。`,
    watchDownTitle: '与 Kubernetes API server 失去联系',
    watchDown: (since, error) => `自 ${since} 起没有收到事件：${error}。`,
    watchDownMeanwhile: '恢复联系后告警会继续，并补上错过的事件；在此期间聊天命令从本地存档回答。',
    watchBackTitle: '已恢复与 Kubernetes API server 的联系',
    watchBack: (since, lasted, caught) =>
      `自 ${since} 起失联 ${lasted}；此后补收了 ${caught} 个事件。`,
    moreLines: (n) => `…… 另有 ${n} 行`,
  },
  hint: (what, command) => `💡 ${what}：${command}`,
  hints: {
    crashLoop: '容器反复崩溃：先看上一次的日志',
    oom: '内存不足：查看被杀的进程和内存限制',
    scheduling: '没有节点能调度这个 Pod：查看原因（末尾的 Events）',
    mount: '存储卷挂载失败：检查 PVC 和 PV',
    probe: '探针失败：检查探针配置和应用日志',
    sandbox: 'Pod 沙箱创建失败（网络插件或容器运行时）：检查所在节点',
    image: '镜像拉取失败：检查镜像名、标签和拉取凭证',
    evicted: '节点资源不足被驱逐：检查节点的压力和资源分配',
    nodeNotReady: 'kubelet 停止上报：检查节点状况和 kubelet',
    kernelDeadlock: '进程卡在内核中（常见于容器运行时）：检查节点，必要时排空',
    taskHung: '内核任务挂起：检查节点的 I/O 和容器运行时',
    kernelOops: '内核报错：检查节点的内核日志和硬件',
    readonlyFs: '文件系统变为只读：检查磁盘，排空并修复节点',
    dockerOverlay: '容器运行时的 overlay 存储损坏：排空节点并清理存储',
    runtimeRestart: '节点服务反复重启：在节点上查看其 systemd 日志',
    runtimeUnhealthy: 'kubelet 或容器运行时不健康：检查节点',
    diskError: '磁盘报错：检查磁盘，并把负载迁出该节点',
    ntp: '节点时钟未同步：检查节点上的 NTP',
    pressure: '节点资源紧张：查看资源占用',
    network: '节点网络未配置好：检查节点上的网络插件',
    nodeProblem: '节点报告了问题：查看节点状况',
  },
  chat: {
    helpTitle: '我能听懂的命令',
    helpKeys:
      '键不区分大小写；ns= 也可写作 namespace= 或 命名空间=；name= 支持 * 通配；含空格的值请加引号：reason="Back Off"。',
    helpBothLanguages: 'Commands work in English too: events ns=prod, mute kind=Pod for=2h, help.',
    unknownCommand: (word) => `我不认识“${word}”这个命令。`,
    commandList: '我认识这些命令',
    usage: '用法',
    sorryTitle: '抱歉，出错了',
    sorry: (ref) => `抱歉，我这边出错了。参考编号：${ref}（运维可在日志中查到）。`,
    errorTitle: {
      bad_syntax: '这条命令我没看懂',
      unknown_command: '我不认识这个命令',
      unknown_key: '这个命令不接受这个键',
      duplicate_key: '有个键写了两次',
      bad_value: '有个值不对',
      missing_key: '缺少参数',
      unexpected_argument: '多了一个词',
      not_found: '没有找到这个编号',
      not_text: '我只能读文字消息',
      not_admin: '只有管理员可以这样做',
      conversation_not_allowed: '我不在这个群里回答',
      rate_limited: '命令太多了，请稍等',
      group_rate_limited: '这个群的命令太多了，请稍等',
      busy: '我正忙于回答太多命令，请稍等',
      matches_everything: '这个静默会挡住所有告警',
      too_many_mutes: '生效中的静默太多了',
    },
    moreLines: (n) => `…… 另有 ${n} 行未显示：请缩小查询范围`,
    rateLimited: (n, wait) => `你在一分钟内已发送 ${n} 条命令，请 ${wait} 秒后再试。`,
    groupRateLimited: (n, wait) => `这个群在一分钟内已发送 ${n} 条命令，请 ${wait} 秒后再试。`,
    busy: (n, wait) => `我在一分钟内已回答 ${n} 条命令，超出了承受范围，请 ${wait} 秒后再试。`,
    matchesEverything:
      '只写 name=* 会匹配所有告警，所以没有静默任何东西：请加上 ns=、kind= 或 reason=，或写成 web-* 这样的名称',
    notText: '我只能读文字消息。发送 帮助 查看我能听懂的命令。',
    alreadyAnsweredTitle: '已经回答过了',
    alreadyAnswered: '这条消息已由另一个 kubeding 副本回答，没有再次执行。',
    conversationNotAllowed: (id) =>
      `抱歉，我只在 dingtalk.outgoing.conversations 列出的群里回答，这个群（${id}）不在其中。请联系 kubeding 的运维添加。`,
    commandWordFirst: '请先写命令词，例如：事件 ns=prod',
    equalsWithoutKey: '“=”前面缺少键',
    givenTwice: (key) => `${key} 写了两次`,
    noArguments: (key) => `这个命令不带参数（收到了“${key}=”）`,
    unknownKey: (key, keys) => `不认识的键“${key}”：这个命令接受 ${keys}`,
    emptyValue: (key) => `${key}：请给它一个值，例如 ${key}=...`,
    unexpectedWord: (word) => `没想到这里有“${word}”：参数请写成 键=值`,
    required: (key) => `${key}：必须给出`,
    notAdmin: (command) =>
      `抱歉，只有 dingtalk.outgoing.admins 列出的管理员可以执行 ${command}；只读的命令所有人都可以用。`,
  },
  args: {
    notNamespace: (v) => `${v} 不是命名空间名（字母、数字和 -，例如 ns=prod）`,
    notKind: (v) => `${v} 不是对象类型（例如 kind=Pod、kind=Node）`,
    notName: (v) => `${v} 不是对象名（只能有字母、数字、. - : 和 *）`,
    notReason: (v) => `${v} 不是原因（例如 reason=BackOff）`,
    notLevel: (v) => `${v} 不是级别：请写 警告、正常 或 全部（或 Warning、Normal、all）`,
    notDuration: (v) => `${v} 不是时长（请写 30m、2h 或 7d）`,
    atLeast: (limit, v) => `至少 ${limit}（收到 ${v}）`,
    atMost: (limit, v) => `最多 ${limit}（收到 ${v}）`,
    wholeNumber: (max, v) => `必须是 1 到 ${max} 的整数（收到 ${v}）`,
    notMuteId: '请写静默编号，例如 m3（见 静默列表），或 all',
  },
  commands: {
    summary: {
      help: '本列表',
      events: '最新的匹配事件（默认警告、最近 1 小时、10 条）',
      mute: '静默匹配所有给定键的告警（默认 1 小时，最长 7 天）',
      unmute: '提前结束一个静默（或全部）',
      mutes: '生效中的静默和最近的变更',
      nodes: 'NotReady 或报告问题的节点（含 node-problem-detector）',
      status: '监听状态、收到的事件、已发/排队/被拒/被静默的告警、版本',
    },
    help: { example: '例如' },
    events: {
      what: (type, ns) => `${type === 'all' ? '' : level(type)}事件${ns ? `（${ns}）` : ''}`,
      window: (since) => `最近 ${since}`,
      none: (what, window) => `${window}没有匹配的${what}。试试更长的 since= 或 level=all。`,
      noneTitle: (what) => `没有${what}`,
      title: (n, what, window) => `${window}：${n} 条${what}`,
      clusterWide: '集群级',
      more: (max) =>
        `还有更多匹配：用 ns=、kind=、name= 或 reason= 缩小范围，或调大 limit=（最多 ${max}）。`,
    },
    mute: {
      title: (id) => `已静默 ${id}`,
      on: (id, selector, ends) =>
        md`静默 **${id}** 已生效：匹配 ${selector} 的告警将被拦下；${ends}结束。`,
      after: (id) => `被拦下的事件仍会存档（见 事件）。提前结束：取消静默 ${id}`,
      missingKey: '请至少给出 ns=、kind=、name=、reason= 中的一个：静默一切会拦下所有告警',
      tooMany: (max) =>
        `已有 ${max} 个静默生效，达到上限，所以没有静默任何东西：请用 取消静默 结束一些（见 静默列表），或用范围更宽的条件静默`,
    },
    unmute: {
      noneTitle: '没有生效中的静默',
      none: '没有可结束的静默。',
      title: (ids) => `已结束 ${ids}`,
      ended: (id, selector, n) =>
        md`静默 **${id}**（${selector}）已结束；期间${n === 0 ? '没有拦下告警' : `拦下了 ${n} 条告警`}。从现在起匹配的事件会再次告警。`,
      notActive: (id) => `${id} 不是生效中的静默；发送 静默列表 查看`,
    },
    mutes: {
      noneTitle: '没有生效中的静默',
      title: (n) => `${n} 个生效中的静默`,
      one: (id, selector, by, ago, ends, n) =>
        md`**${id}** ${selector} · ${by} 设于${ago} · ${ends}结束 · 已拦下 ${n} 条告警`,
      none: '没有生效中的静默：所有匹配的事件都会告警。',
      latest: '最近的变更',
      change: (ago, who, command, outcome) =>
        `${ago}：${who} 执行了“${command}” → ${toOutcome(outcome)}`,
    },
    nodes: {
      allFineTitle: (total) => `${total} 个节点全部正常`,
      allFine: (total) => `${total} 个节点都是 Ready，且没有报告问题。`,
      title: (n, total) => `${total} 个节点中有 ${n} 个需要关注`,
      more: (n) => `…… 另有 ${n} 个节点有问题。`,
      ready: (ready) =>
        ready === 'True'
          ? 'Ready'
          : ready === 'False'
            ? 'NotReady'
            : 'NotReady（Unknown：kubelet 停止上报）',
      problem: (type, status, since, reason) => `${type}=${status}，自 ${since}起：${reason}`,
    },
    status: {
      title: (cluster, state) => `kubeding（${cluster}）：监听${watchState(state)}`,
      cluster: '集群',
      watchLabel: '监听',
      alertsLabel: '告警',
      versionLabel: '版本',
      watch: (state, since, resync) =>
        `${watchState(state)}，自 ${since}起 · ${resync === undefined ? '尚未重新同步' : `最近同步 ${resync}`}`,
      eventsTakenIn: '已收到事件',
      alerts: (sent, queued, muted, dropped, refused) =>
        `已发 ${sent} · 排队 ${queued} · 被静默 ${muted} · 已丢弃 ${dropped} · 被钉钉拒绝 ${refused}`,
      refusal: (meaning) =>
        REFUSALS[meaning] ??
        meaning.replace(/^(HTTP \d+) \(not a DingTalk answer\)$/, '$1（不是钉钉的应答）'),
      throttled: '被限流的机器人',
      none: '无',
      until: (robot, when) => `${robot}（${when}解除）`,
      store: '存储',
      storeFailing: (problem) => `写入失败：${problem}`,
      version: (version, up) => `${version} · 已运行 ${up}`,
      replicasLabel: '副本',
      replicas: (leader, members) => `主副本 ${leader || '无'} · ${members || '尚无心跳'}`,
      replica: (name, self, watch, seen) =>
        `${name}${self ? '（本副本）' : ''}：${watchState(watch)}，${seen}有心跳`,
    },
    until: (ms) => (ms < 1_000 ? '现在' : `${span(ms)}后`),
  },
}
