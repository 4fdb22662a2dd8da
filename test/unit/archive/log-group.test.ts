import t from 'tap'
import { encodeLog, encodeLogGroup, logFieldSize } from '../../../src/archive/log-group.ts'
import { decodeLogGroup } from '../../helpers/fake-sls.ts'

t.test('a LogGroup round-trips through the decoder, UTF-8 and long values included', async (t) => {
  const long = '日志'.repeat(9000) // 54,000 bytes: a three-byte length varint
  const logs = [
    {
      time: 1_732_417_200,
      timeNs: 123_000_000,
      contents: { reason: 'BackOff', message: '拉取镜像失败：超时', empty: '', long },
    },
    { time: 0, contents: {} },
    { time: 0xffffffff, timeNs: 999_999_999, contents: { 键: '值' } },
  ]
  const body = encodeLogGroup({
    logs: logs.map(encodeLog),
    topic: '集群事件',
    source: '10.0.0.1',
    tags: { cluster: 'prod-杭州' },
  })
  t.same(decodeLogGroup(body), {
    logs,
    topic: '集群事件',
    source: '10.0.0.1',
    tags: { cluster: 'prod-杭州' },
  })
})

t.test('Time and TimeNs have their wire types: varint and fixed32 little-endian', async (t) => {
  const buf = encodeLog({ time: 300, timeNs: 1, contents: {} })
  t.same([...buf], [0x08, 0xac, 0x02, 0x25, 1, 0, 0, 0])
})

t.test('an empty group and absent optional fields encode to nothing', async (t) => {
  t.equal(encodeLogGroup({ logs: [] }).length, 0)
  t.equal(encodeLogGroup({ logs: [], topic: '', source: '' }).length, 0)
  t.same(decodeLogGroup(encodeLogGroup({ logs: [encodeLog({ time: 1, contents: { a: 'b' } })] })), {
    logs: [{ time: 1, contents: { a: 'b' } }],
    tags: {},
  })
})

t.test('logFieldSize is what a log adds to the group', async (t) => {
  const small = encodeLog({ time: 1, contents: { a: 'b' } })
  const big = encodeLog({ time: 1, contents: { a: 'x'.repeat(200) } })
  t.equal(encodeLogGroup({ logs: [small] }).length, logFieldSize(small))
  t.equal(encodeLogGroup({ logs: [small, big] }).length, logFieldSize(small) + logFieldSize(big))
})

t.test('a time outside uint32, or a TimeNs of a second or more, is refused', async (t) => {
  t.throws(() => encodeLog({ time: -1, contents: {} }), RangeError)
  t.throws(() => encodeLog({ time: 2 ** 32, contents: {} }), RangeError)
  t.throws(() => encodeLog({ time: 1.5, contents: {} }), RangeError)
  t.throws(() => encodeLog({ time: 1, timeNs: 1_000_000_000, contents: {} }), /Log.TimeNs/)
})

t.test('the decoder refuses a truncated body', async (t) => {
  const body = encodeLogGroup({ logs: [encodeLog({ time: 1, contents: { a: 'b' } })] })
  t.throws(() => decodeLogGroup(body.subarray(0, body.length - 1)), /runs past the end/)
})
