import t from 'tap'
import { signRequest, toStringToSign } from '../../../src/archive/sign-request.ts'

// The key pair and both requests below are the worked examples that Alibaba's own Log Service
// SDKs test their signing against (the documentation's sample AccessKey).
const SECRET = '4fdO2fTDDnZPU/L7CHNdemB2Nsk='

t.test('GET with a query: the published vector', async (t) => {
  const request = {
    method: 'GET',
    path: '/logstores',
    query: { size: '1000', logstoreName: '', offset: '0' },
    headers: {
      Date: 'Mon, 09 Nov 2015 06:11:16 GMT',
      'x-log-apiversion': '0.6.0',
      'x-log-signaturemethod': 'hmac-sha1',
    },
  }
  t.equal(
    toStringToSign(request),
    'GET\n\n\nMon, 09 Nov 2015 06:11:16 GMT\nx-log-apiversion:0.6.0\nx-log-signaturemethod:hmac-sha1\n/logstores?logstoreName=&offset=0&size=1000',
  )
  t.equal(signRequest(request, SECRET), 'jEYOTCJs2e88o+y5F4/S5IsnBJQ=')
})

t.test('POST with a compressed protobuf body: the published vector', async (t) => {
  const request = {
    method: 'POST',
    path: '/logstores/test-logstore',
    headers: {
      date: 'Mon, 09 Nov 2015 06:03:03 GMT',
      'x-log-apiversion': '0.6.0',
      'x-log-signaturemethod': 'hmac-sha1',
      'content-md5': '1DD45FA4A70A9300CC9FE7305AF2C494',
      'content-length': '52',
      'content-type': 'application/x-protobuf',
      'x-log-bodyrawsize': '50',
      'x-log-compresstype': 'lz4',
    },
  }
  t.equal(signRequest(request, SECRET), 'XWLGYHGg2F2hcfxWxMLiNkGki6g=')
})

t.test('header names in any case, x-acs-* included, other headers left out', async (t) => {
  const text = toStringToSign({
    method: 'post',
    path: '/logstores/l/shards/lb',
    headers: {
      'Content-MD5': 'ABC',
      'Content-Type': 'application/x-protobuf',
      Date: 'D',
      'X-Log-BodyRawSize': ' 10 ',
      'x-acs-security-token': 'T',
      'User-Agent': 'kubeding',
      Authorization: 'LOG x:y',
    },
  })
  t.equal(
    text,
    'POST\nABC\napplication/x-protobuf\nD\nx-acs-security-token:T\nx-log-bodyrawsize:10\n/logstores/l/shards/lb',
  )
})

t.test('a different secret gives a different signature', async (t) => {
  const request = { method: 'POST', path: '/', headers: { date: 'D' } }
  t.not(signRequest(request, 'a'), signRequest(request, 'b'))
})
