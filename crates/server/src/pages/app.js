// Leadguard's web UI: a small single-page app over the JSON API (/api/v1), no build step and
// no third-party code. Chinese first, English on a switch; every label in both.
'use strict';

const I18N = {
  zh: {
    lang_switch: 'English', logout: '退出', login_title: '登录 Leadguard', username: '用户名', password: '密码',
    login: '登录', login_failed: '用户名或密码错误', nav_new: '录入客户', nav_mine: '我的客户', nav_pool: '公海',
    nav_collisions: '撞单裁决', nav_rules: '分配规则', nav_reports: '报表', nav_admin: '管理',
    new_title: '录入客户', name: '客户名称', phones: '电话（多个用逗号分隔）', emails: '邮箱', website: '网址',
    credit_code: '统一社会信用代码', address: '地址', source: '来源', industry: '行业', save: '保存', note: '备注', value_warnings: '以下值已按原样保存，但未能验证：',
    checking: '正在查重…', check_new: '未发现重复，可以保存。', check_suspected: '疑似重复：请确认这不是同一客户。',
    check_duplicate: '客户已存在，不能重复录入。', owned_by: '归属', since: '自', in_pool: '在公海中，可直接领取',
    check_partial: '已有名称以此开头的客户，是其中一家吗？', name_start: '名称开头相同', open_customer: '查看',
    go_on: '都不是，继续录入', more_matches: '另有 {n} 家未列出，输入更完整的名称可缩小范围',
    more_matches_capped: '另有 {n} 家以上未列出，输入更完整的名称可缩小范围',
    confirm_distinct: '我确认这不是同一家客户', appeal: '申诉', appeal_reason: '申诉理由（例如：已有在谈商机）',
    appeal_sent: '申诉已提交，等待经理裁决', saved: '已保存', claim: '领取', claimed: '已领取',
    mine_title: '我的客户', search: '搜索（名称、电话、邮箱）', owner: '负责人', created: '录入时间',
    last_followup: '最近跟进', recycle_in: '距回收', due: '即将回收', days: '天', none: '无', prev: '上一页', next: '下一页',
    total: '共 {n} 条', detail_title: '客户详情', contacts: '联系人', followups: '跟进记录', add_followup: '添加跟进',
    followup_note: '跟进内容', history: '归属历史', release: '退回公海', pool_title: '公海',
    pool_rules: '每日最多领取 {limit} 个；退回或被回收的客户 {cool} 天内不能再领取；{days} 天无跟进将回收。',
    collisions_title: '撞单裁决', open_cases: '待裁决', decided_cases: '已裁决', first_side: '先录入方',
    second_side: '后录入方 / 申诉方', entered: '录入', followup_count: '跟进次数', open_deals: '在谈商机',
    reasons: '判定依据', default_winner: '先录先得默认归属', winner: '裁决归属', merge: '合并两条记录',
    decision_reason: '理由（不按先录先得时必填）', decide: '裁决', decided: '已裁决', origin: '来源',
    no_cases: '没有待裁决的撞单', rules_title: '分配规则', dry_run: '试运行', dry_run_hint: '输入一条样例线索，查看会分配给谁（不会真正分配）',
    value: '预计金额', province: '省份', reports_title: '报表', from: '开始日期', to: '结束日期', show: '查看',
    download_xlsx: '下载 Excel', download_csv: '下载 CSV', admin_title: '管理', users: '用户', policy: '公海规则',
    webhooks: 'Webhook', saved_policy: '规则已保存', role: '角色', team: '团队', cap: '上限', on_leave: '休假',
    toast_assigned: '新客户分配给你：{name}', toast_case: '新的撞单待处理：{name}', toast_warning: '客户即将回收：{name}',
    toast_recycled: '客户已回收公海：{name}', toast_decided: '撞单已裁决：{name} 归 {winner}', error: '出错了',
    strategy: '策略', strategy_round_robin: '轮转', strategy_weighted: '加权轮转', strategy_least_loaded: '最少负载', strategy_best_match: '最佳匹配',
    strategy_priority: '优先级（按资历）', target: '分配给', target_reps: '（指定销售）', reps: '指定销售（逗号分隔，按资历）', weights: '权重（如 zhangsan=3）',
    city: '城市', size: '规模', language: '语言', tags: '标签', min_value: '最低金额', max_value: '最高金额', rule_name: '规则名称', position: '顺序',
    conditions: '条件', edit: '修改', delete: '删除', new_rule: '新建规则', edit_rule: '修改规则', new_user: '新建用户', display_name: '显示名',
    teams: '团队', add: '添加', global: '全局规则', inactive: '已停用', activate: '启用', deactivate: '停用', default: '默认',
    policy_owner_cap: '每人客户上限', policy_protection_days: '领取后保护期（天）', policy_recycle_no_followup_days: '无跟进回收（天）',
    policy_recycle_no_deal_days: '无成交回收（天）', policy_warn_days: '回收前提醒（天）', policy_daily_claim_limit: '每日领取上限', policy_reclaim_cooldown_days: '重新领取冷却（天）',
    webhook_name: '名称', webhook_url: '地址', webhook_secret: '密钥（可选）', webhook_format: '格式', format_generic: '通用 JSON（HMAC 签名）',
    format_wecom: '企业微信机器人', format_dingtalk: '钉钉机器人', format_feishu: '飞书机器人', quick: '快速记录', kind_call: '电话', kind_visit: '拜访', kind_message: '微信/短信',
    empty: '暂无数据', phone: '电话', origin_suspected_entry: '疑似重复录入', origin_appeal: '申诉', origin_batch_scan: '全库扫描',
    origin_update: '修改后疑似重复', origin_migration: '迁移导入', rule_collision_first_come: '先录先得', rule_collision_manager_decision: '经理裁定', statuses_open: '待裁决', blocked_total: '拦截撞单', gini: '分配基尼系数', pool_size: '公海客户',
    nav_import: '导入客户', import_title: '导入客户', import_file: '文件（CSV 或 Excel .xlsx）',
    import_file_hint: '第一行为表头；常见表头（客户名称、电话、邮箱、网址、地址、统一社会信用代码……）自动识别。CSV 可为 UTF-8 或 GBK 编码。',
    import_owner: '客户归属（用户名）', import_owner_hint: '默认归你自己；经理可为本团队的销售导入。', import_dry_run: '试运行：只检查，不保存',
    import_placement: '无负责人的行', import_placement_hint: '文件有“负责人/销售”列时，每行归该列的销售（你本人或你管理的销售；管理员导入可指定任何人，并按“创建时间”保留先录先得）；其余行按此处理。',
    fu_title: '导入跟进记录', fu_submit: '导入跟进记录', fu_working: '处理中…', fu_hint: '客户导入后再导入其跟进记录（所属客户/客户编号/电话、跟进时间、跟进人、跟进方式、跟进内容）。重复导入不会重复记录。',
    fu_created: '新增', fu_duplicate: '已存在', fu_unmatched: '未找到客户', fu_error: '错误', fu_row: '第 {row} 行',
    placement_owner: '归上面的负责人', placement_pool: '放入公海', placement_assign: '按分配规则分配', import_ignore_cap: '迁移：允许超出销售的客户上限（结果中列出超限的人）',
    import_mapping: '列对应（可选）', import_mapping_hint: '只在表头无法识别时填写：列名=字段，多个用逗号分隔，例如 公司全称=name, 座机=phone。字段：name、phone、email、website、credit_code、address、contact、province、city、industry、source、size，ignore 表示忽略该列。',
    import_submit: '上传并导入', uploading: '正在上传……', import_job: '导入任务 #{id}', job_status: '状态',
    status_queued: '排队中', status_running: '进行中', status_done: '完成', status_failed: '失败', rows_progress: '已处理 {done} / {total} 行',
    count_created: '新建', count_duplicate: '重复', count_suspected: '疑似', count_error: '错误', dry_run_note: '试运行：以上是检查结果，没有保存任何客户。',
    download_result: '下载结果 CSV', attention_title: '需要处理的行', attention_hint: '行号从表头下第一行算起（第 1 行即 Excel 中的第 2 行）。',
    attention_more: '另有 {n} 行，见结果文件。', all_created: '全部新建，没有需要处理的行。', col_row: '行', col_status: '结果', col_message: '说明',
    recent_imports: '最近导入', file: '文件', submitted: '提交时间', import_failed: '导入失败',
  },
  en: {
    lang_switch: '中文', logout: 'Log out', login_title: 'Log in to Leadguard', username: 'Username', password: 'Password',
    login: 'Log in', login_failed: 'Wrong username or password', nav_new: 'New customer', nav_mine: 'My customers', nav_pool: 'Pool',
    nav_collisions: 'Collisions', nav_rules: 'Assignment', nav_reports: 'Reports', nav_admin: 'Admin',
    new_title: 'New customer', name: 'Customer name', phones: 'Phones (comma separated)', emails: 'E-mails', website: 'Web site',
    credit_code: 'Unified social credit code', address: 'Address', source: 'Source', industry: 'Industry', save: 'Save', note: 'Note', value_warnings: 'Kept as typed, but not verified:',
    checking: 'Checking for duplicates…', check_new: 'No duplicate found; you may save.', check_suspected: 'Possible duplicate: confirm it is a different customer.',
    check_duplicate: 'This customer already exists and cannot be entered again.', owned_by: 'Owner', since: 'since', in_pool: 'in the public pool: claim it',
    check_partial: 'Customers whose names begin like this exist. Is it one of them?', name_start: 'name begins alike', open_customer: 'Open',
    go_on: 'None of these: go on', more_matches: '{n} more not listed: type more of the name to narrow them down',
    more_matches_capped: 'more than {n} others not listed: type more of the name to narrow them down',
    confirm_distinct: 'I confirm this is a different customer', appeal: 'Appeal', appeal_reason: 'Reason (e.g. an active deal)',
    appeal_sent: 'Appeal sent; a manager will decide', saved: 'Saved', claim: 'Claim', claimed: 'Claimed',
    mine_title: 'My customers', search: 'Search (name, phone, e-mail)', owner: 'Owner', created: 'Entered',
    last_followup: 'Last follow-up', recycle_in: 'Recycled in', due: 'due now', days: 'days', none: 'none', prev: 'Previous', next: 'Next',
    total: '{n} in all', detail_title: 'Customer', contacts: 'Contacts', followups: 'Follow-ups', add_followup: 'Add follow-up',
    followup_note: 'Note', history: 'Owner history', release: 'Release to pool', pool_title: 'Public pool',
    pool_rules: 'At most {limit} claims a day; a customer you released or lost can be claimed again after {cool} days; {days} days without a follow-up and it is recycled.',
    collisions_title: 'Collisions', open_cases: 'Open', decided_cases: 'Decided', first_side: 'Entered first',
    second_side: 'Entered later / appellant', entered: 'Entered', followup_count: 'Follow-ups', open_deals: 'Open deals',
    reasons: 'Evidence', default_winner: 'First-come default', winner: 'Winner', merge: 'Merge the two records',
    decision_reason: 'Reason (required against first-come)', decide: 'Decide', decided: 'Decided', origin: 'Origin',
    no_cases: 'No open collisions', rules_title: 'Assignment rules', dry_run: 'Dry run', dry_run_hint: 'Try a sample lead: see who would get it (nothing is assigned)',
    value: 'Estimated value', province: 'Province', reports_title: 'Reports', from: 'From', to: 'To', show: 'Show',
    download_xlsx: 'Download Excel', download_csv: 'Download CSV', admin_title: 'Admin', users: 'Users', policy: 'Pool policy',
    webhooks: 'Webhooks', saved_policy: 'Policy saved', role: 'Role', team: 'Team', cap: 'Cap', on_leave: 'On leave',
    toast_assigned: 'New customer for you: {name}', toast_case: 'A collision needs a decision: {name}', toast_warning: 'About to be recycled: {name}',
    toast_recycled: 'Recycled to the pool: {name}', toast_decided: 'Collision decided: {name} goes to {winner}', error: 'Something went wrong',
    strategy: 'Strategy', strategy_round_robin: 'Round-robin', strategy_weighted: 'Weighted round-robin', strategy_least_loaded: 'Least loaded', strategy_best_match: 'Best match',
    strategy_priority: 'Priority (by seniority)', target: 'Assign to', target_reps: '(named reps)', reps: 'Reps (comma separated, most senior first)', weights: 'Weights (e.g. zhangsan=3)',
    city: 'City', size: 'Size', language: 'Language', tags: 'Tags', min_value: 'Minimum value', max_value: 'Maximum value', rule_name: 'Rule name', position: 'Order',
    conditions: 'Conditions', edit: 'Edit', delete: 'Delete', new_rule: 'New rule', edit_rule: 'Edit rule', new_user: 'New user', display_name: 'Display name',
    teams: 'Teams', add: 'Add', global: 'Global policy', inactive: 'inactive', activate: 'Activate', deactivate: 'Deactivate', default: 'default',
    policy_owner_cap: 'Customers per rep', policy_protection_days: 'Protection after a claim (days)', policy_recycle_no_followup_days: 'Recycle without follow-up (days)',
    policy_recycle_no_deal_days: 'Recycle without a won deal (days)', policy_warn_days: 'Warn before recycling (days)', policy_daily_claim_limit: 'Claims per day', policy_reclaim_cooldown_days: 'Re-claim cool-down (days)',
    webhook_name: 'Name', webhook_url: 'URL', webhook_secret: 'Secret (optional)', webhook_format: 'Format', format_generic: 'Generic JSON (HMAC signed)',
    format_wecom: 'WeCom robot', format_dingtalk: 'DingTalk robot', format_feishu: 'Feishu robot', quick: 'Quick note', kind_call: 'Call', kind_visit: 'Visit', kind_message: 'Message',
    empty: 'Nothing yet', phone: 'Phone', origin_suspected_entry: 'suspected entry', origin_appeal: 'appeal', origin_batch_scan: 'database scan',
    origin_update: 'changed into a look-alike', origin_migration: 'migration', rule_collision_first_come: 'first come', rule_collision_manager_decision: 'manager decision', statuses_open: 'open', blocked_total: 'Duplicates blocked', gini: 'Fairness (Gini)', pool_size: 'In the pool',
    nav_import: 'Import', import_title: 'Import customers', import_file: 'File (CSV or Excel .xlsx)',
    import_file_hint: 'The first row is the header; common headers (customer name, phone, e-mail, web site, address, credit code…) are recognized. CSV may be UTF-8 or GBK.',
    import_owner: 'Owner of the customers (username)', import_owner_hint: 'Yourself unless you name someone; managers import for their team\'s reps.', import_dry_run: 'Dry run: check only, save nothing',
    import_placement: 'Rows without an owner', import_placement_hint: 'When the file has an owner column (负责人, 销售, owner), each row goes to the rep it names (you or a rep you manage; an admin\'s import may name anyone and keeps the entry times as first-come evidence); the other rows go here.',
    fu_title: 'Import follow-up history', fu_submit: 'Import follow-ups', fu_working: 'Working…', fu_hint: 'After the customers: their history (customer name, legacy id or phone; time; author; kind; note). Importing it again adds nothing twice.',
    fu_created: 'Added', fu_duplicate: 'Already there', fu_unmatched: 'No customer found', fu_error: 'Errors', fu_row: 'Row {row}',
    placement_owner: 'To the owner above', placement_pool: 'To the public pool', placement_assign: 'By the assignment rules', import_ignore_cap: 'Migration: owners may go over their cap (the result lists who does)',
    import_mapping: 'Column mapping (optional)', import_mapping_hint: 'Only where a header is not recognized: column=field, comma separated, e.g. 公司全称=name, 座机=phone. Fields: name, phone, email, website, credit_code, address, contact, province, city, industry, source, size; ignore skips the column.',
    import_submit: 'Upload and import', uploading: 'Uploading…', import_job: 'Import #{id}', job_status: 'Status',
    status_queued: 'queued', status_running: 'running', status_done: 'done', status_failed: 'failed', rows_progress: '{done} of {total} rows checked',
    count_created: 'Created', count_duplicate: 'Duplicate', count_suspected: 'Suspected', count_error: 'Error', dry_run_note: 'Dry run: these are the checks; no customer was saved.',
    download_result: 'Download result CSV', attention_title: 'Rows that need attention', attention_hint: 'Rows count from the first row under the header (row 1 is row 2 in Excel).',
    attention_more: '{n} more rows: see the result file.', all_created: 'Every row was created; nothing needs attention.', col_row: 'Row', col_status: 'Result', col_message: 'Details',
    recent_imports: 'Recent imports', file: 'File', submitted: 'Submitted', import_failed: 'The import failed',
  },
};

const state = {
  lang: localStorage.getItem('lg.lang') || 'zh',
  token: localStorage.getItem('lg.token'),
  me: null,
  policy: null,
  events: null,
};

function t(key, vars) {
  let s = (I18N[state.lang] && I18N[state.lang][key]) || I18N.zh[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace('{' + k + '}', v);
  return s;
}

// DOM builder: text is always set as text, never parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  const text = await resp.text();
  if (text) { try { data = JSON.parse(text); } catch (_) { data = text; } }
  if (resp.status === 401 && path !== '/auth/login') { logout(false); }
  return { status: resp.status, data };
}

function toast(message) {
  const el = h('div', { class: 'toast' }, message);
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), 8000);
}

const LOCALE = () => (state.lang === 'zh' ? 'zh-CN' : 'en-GB');
function date(s) { return s ? new Date(s).toLocaleDateString(LOCALE()) : t('none'); }
function dateTime(s) { return s ? new Date(s).toLocaleString(LOCALE(), { dateStyle: 'short', timeStyle: 'short' }) : '—'; }
function errorText(data) { return (data && data.message) || t('error'); }
function main() { return document.getElementById('main'); }
function splitList(s) { return s.split(/[,，;；\n]/).map((x) => x.trim()).filter(Boolean); }

function render(...nodes) {
  main().replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

function logout(callApi = true) {
  if (callApi && state.token) api('POST', '/auth/logout');
  state.token = null; state.me = null;
  localStorage.removeItem('lg.token');
  document.getElementById('toasts').replaceChildren();
  if (state.events) { state.events.abort(); state.events = null; }
  location.hash = '#/login';
  route();
}

function header() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.getElementById('lang-toggle').textContent = t('lang_switch');
  const out = document.getElementById('logout');
  out.textContent = t('logout'); out.hidden = !state.me;
  document.getElementById('whoami').textContent = state.me ? state.me.display_name : '';
  const nav = document.getElementById('nav');
  nav.replaceChildren();
  if (!state.me) return;
  const links = [['#/new', 'nav_new'], ['#/import', 'nav_import'], ['#/mine', 'nav_mine'], ['#/pool', 'nav_pool']];
  if (state.me.role !== 'rep') links.push(['#/collisions', 'nav_collisions'], ['#/rules', 'nav_rules'], ['#/reports', 'nav_reports']);
  else links.push(['#/collisions', 'nav_collisions']);
  if (state.me.role === 'admin') links.push(['#/admin', 'nav_admin']);
  const here = location.hash.split('/').slice(0, 2).join('/');
  for (const [href, key] of links) {
    nav.append(h('a', { href, id: 'nav-' + href.slice(2), 'aria-current': here === href ? 'page' : null }, t(key)));
  }
}

// ---- live events (server-sent events over fetch, which can send the token) ----
async function startEvents() {
  if (state.events || !state.token) return;
  const ctl = new AbortController();
  state.events = ctl;
  try {
    const resp = await fetch('/api/v1/events', { headers: { Authorization: 'Bearer ' + state.token }, signal: ctl.signal });
    const reader = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i); buf = buf.slice(i + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        if (data) onEvent(JSON.parse(data));
      }
    }
  } catch (_) { /* aborted or dropped */ }
  if (state.events === ctl) { state.events = null; setTimeout(startEvents, 3000); }
}

function onEvent(e) {
  const name = (e.data && (e.data.name || e.data.entered_name)) || ('#' + e.customer_id);
  const me = state.me && state.me.username;
  if (e.type === 'customer.assigned' && e.data.owner === me) toast(t('toast_assigned', { name }));
  else if (e.type === 'collision.opened') toast(t('toast_case', { name }));
  else if (e.type === 'collision.decided') toast(t('toast_decided', { name, winner: e.data.winner }));
  else if (e.type === 'customer.recycle_warning') toast(t('toast_warning', { name }));
  else if (e.type === 'customer.recycled') toast(t('toast_recycled', { name }));
}

// ---- screens ----
function viewLogin() {
  const err = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = h('form', { class: 'card', id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/auth/login', { username: form.username.value.trim(), password: form.password.value });
    if (r.status !== 200) { err.textContent = r.status === 429 ? errorText(r.data) : t('login_failed'); return; }
    state.token = r.data.token; state.me = r.data.user;
    localStorage.setItem('lg.token', state.token);
    startEvents();
    location.hash = '#/mine';
  } },
  h('h1', {}, t('login_title')),
  h('label', { for: 'username' }, t('username')), h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true }),
  h('label', { for: 'password' }, t('password')), h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
  err, h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'login-submit' }, t('login'))));
  render(form);
  form.username.focus();
}

/// Values kept as typed though they could not be verified (an old phone number, a typo in an
/// e-mail's domain), each as the server explains it.
function warningsView(id, warnings) {
  if (!warnings || !warnings.length) return null;
  return h('div', { class: 'notice suspected', id }, t('value_warnings'),
    h('ul', {}, warnings.map((w) => h('li', { 'data-field': w.field, 'data-code': w.code }, w.message))));
}

function candidateView(m) {
  const reasons = h('ul', {}, (m.reasons || []).filter((r) => r.weight > 0).map((r) => h('li', {}, state.lang === 'zh' ? r.message : r.message_en)));
  const who = m.owner
    ? h('span', { class: 'owner' }, `${t('owned_by')}: ${m.owner.display_name} (${m.owner.username}${m.owner.team ? ' · ' + m.owner.team : ''}) ${t('since')} ${date(m.owned_since)}`)
    : h('span', { class: 'badge warn' }, t('in_pool'));
  const claim = !m.owner ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
    const r = await api('POST', `/customers/${m.customer_id}/claim`, {});
    toast(r.status === 200 ? t('claimed') : errorText(r.data));
    if (r.status === 200) location.hash = `#/customer/${m.customer_id}`;
  } }, t('claim')) : null;
  // A name that merely begins another's is a prompt, not a probability worth a number.
  const badge = m.partial_name ? t('name_start') : `${Math.round(m.score * 100)}%`;
  const open = h('a', { href: `#/customer/${m.customer_id}`, class: 'open-candidate' }, t('open_customer'));
  return h('div', { class: 'candidate' }, h('strong', {}, `#${m.customer_id} ${m.name}`), ' ', h('span', { class: 'badge' }, badge), ' ', open,
    h('div', {}, who, ' ', claim), reasons);
}

/// Characters typed, counting each Chinese character once (the check starts at the second).
function typedLength(s) { return Array.from(s).length; }

function viewNew() {
  const fields = ['name', 'phones', 'emails', 'website', 'credit_code', 'address', 'industry', 'source', 'note'];
  const inputs = {};
  const result = h('div', { id: 'check-result', 'aria-live': 'polite' });
  const confirm = h('input', { type: 'checkbox', id: 'confirm-distinct' });
  const confirmRow = h('label', { class: 'check', hidden: true }, confirm, ' ', t('confirm_distinct'));
  const save = h('button', { type: 'submit', id: 'save', disabled: true }, t('save'));
  let verdict = null; let matches = []; let timer = null; let seq = 0;
  const body = () => {
    const b = { name: inputs.name.value.trim() };
    for (const k of ['phones', 'emails']) { const v = splitList(inputs[k].value); if (v.length) b[k] = v; }
    for (const k of ['website', 'credit_code', 'address', 'industry', 'source', 'note']) { const v = inputs[k].value.trim(); if (v) b[k] = v; }
    return b;
  };
  const update = () => {
    confirmRow.hidden = verdict !== 'suspected';
    save.disabled = !verdict || verdict === 'duplicate' || verdict === 'invalid' || (verdict === 'suspected' && !confirm.checked);
  };
  confirm.addEventListener('change', update);
  const check = async () => {
    const b = body();
    // From the second character on: one character names no company.
    if (typedLength(b.name) < 2) { verdict = null; result.replaceChildren(); update(); return; }
    const mine = ++seq;
    result.replaceChildren(h('p', { class: 'muted' }, t('checking')));
    const r = await api('POST', '/customers/check', b);
    if (mine !== seq) return; // a newer keystroke's check is on its way
    if (r.status === 200 || r.status === 409) {
      verdict = r.status === 409 ? 'duplicate' : r.data.verdict;
      matches = r.data.matches || [];
      // Only names that begin alike: the rep is still typing, or typed a short name.
      const partial = verdict === 'suspected' && matches.every((m) => m.partial_name);
      const heading = t(partial ? 'check_partial' : 'check_' + verdict);
      const box = h('div', { class: 'notice ' + verdict, id: 'check-' + verdict }, heading, matches.map(candidateView));
      const more = r.data.more_matches || 0;
      if (more > 0) box.append(h('p', { class: 'muted', id: 'more-matches' }, t(r.data.more_matches_exact ? 'more_matches' : 'more_matches_capped', { n: more })));
      if (verdict === 'suspected') {
        box.append(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'go-on', onclick: () => {
          confirm.checked = true; update();
          box.querySelectorAll('.candidate, #more-matches').forEach((e) => e.remove());
          inputs.phones.focus();
        } }, t('go_on'))));
      }
      if (verdict === 'duplicate' && matches[0] && matches[0].owner) {
        const reason = h('textarea', { id: 'appeal-reason', 'aria-label': t('appeal_reason'), placeholder: t('appeal_reason'), rows: 2 });
        box.append(h('div', { class: 'actions' }, reason, h('button', { type: 'button', class: 'secondary', id: 'appeal', onclick: async () => {
          const rr = await api('POST', '/collisions', { customer_id: matches[0].customer_id, reason: reason.value, entry: body() });
          toast(rr.status === 201 ? t('appeal_sent') : errorText(rr.data));
        } }, t('appeal'))));
      }
      result.replaceChildren(box);
      const marks = warningsView('check-warnings', r.data.warnings);
      if (marks) result.append(marks);
    } else {
      verdict = 'invalid';
      const fieldsErr = (r.data && r.data.fields) || [];
      result.replaceChildren(h('p', { class: 'error' }, fieldsErr.length ? fieldsErr.map((f) => f.message).join('; ') : errorText(r.data)));
    }
    update();
  };
  const form = h('form', { class: 'card', id: 'new-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/customers', body());
    if (r.status === 201) { toast(t('saved')); location.hash = `#/customer/${r.data.id}`; }
    else { verdict = r.status === 409 ? 'duplicate' : 'invalid'; result.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(r.data))); update(); }
  } }, h('h1', {}, t('new_title')));
  const grid = h('div', { class: 'row' });
  for (const f of fields) {
    inputs[f] = h('input', { id: 'f-' + f, name: f, required: f === 'name', oninput: () => { clearTimeout(timer); verdict = null; update(); timer = setTimeout(check, 300); } });
    grid.append(h('div', {}, h('label', { for: 'f-' + f }, t(f)), inputs[f]));
  }
  // The prompt right under the name, where the rep is typing.
  form.append(grid.firstChild, result, confirmRow, grid, h('div', { class: 'actions' }, save));
  render(form);
  inputs.name.focus();
}

function daysToRecycle(c) {
  const p = state.policy && state.policy.effective;
  if (!p || !p.recycle_no_followup_days || !c.owned_since) return null;
  const since = Math.max(Date.parse(c.owned_since), c.last_followup_at ? Date.parse(c.last_followup_at) : 0);
  const due = since + p.recycle_no_followup_days * 86400000;
  return Math.ceil((due - Date.now()) / 86400000);
}

async function viewList(kind) {
  const isPool = kind === 'pool';
  const q = h('input', { id: 'search', type: 'search', 'aria-label': t('search'), placeholder: t('search') });
  const tbody = h('tbody');
  const info = h('span', { class: 'muted' });
  let offset = 0; const limit = 20;
  const load = async () => {
    const params = new URLSearchParams({ limit, offset });
    if (q.value.trim()) params.set('q', q.value.trim());
    const r = await api('GET', isPool ? '/pool?' + params : '/customers?scope=mine&' + params);
    tbody.replaceChildren();
    if (r.status !== 200) { tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'error' }, errorText(r.data)))); return; }
    info.textContent = t('total', { n: r.data.total });
    if (!r.data.items.length) tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('empty'))));
    for (const c of r.data.items) {
      const days = daysToRecycle(c);
      tbody.append(h('tr', { 'data-id': c.id },
        h('td', {}, isPool ? c.name : h('a', { href: `#/customer/${c.id}` }, c.name)),
        h('td', {}, (c.phones || []).join(', ')),
        h('td', {}, date(c.created_at)),
        isPool ? h('td', {}, h('button', { type: 'button', class: 'secondary claim', onclick: async () => {
          const rr = await api('POST', `/customers/${c.id}/claim`, {});
          toast(rr.status === 200 ? `${t('claimed')}: ${c.name}` : errorText(rr.data));
          load();
        } }, t('claim'))) : h('td', {}, date(c.last_followup_at)),
        isPool ? null : h('td', {}, days === null ? '—' : h('span', { class: days <= 3 ? 'badge warn' : 'badge' }, days <= 0 ? t('due') : `${days} ${t('days')}`))));
    }
  };
  q.addEventListener('input', () => { offset = 0; clearTimeout(q.timer); q.timer = setTimeout(load, 250); });
  const head = isPool
    ? [t('name'), t('phone'), t('created'), '']
    : [t('name'), t('phone'), t('created'), t('last_followup'), t('recycle_in')];
  const rules = isPool && state.policy ? h('p', { class: 'muted', id: 'pool-rules' }, t('pool_rules', {
    limit: state.policy.effective.daily_claim_limit, cool: state.policy.effective.reclaim_cooldown_days, days: state.policy.effective.recycle_no_followup_days })) : null;
  render(h('h1', {}, t(isPool ? 'pool_title' : 'mine_title')), rules, h('div', { class: 'card' }, q,
    h('div', { class: 'table-wrap' }, h('table', { id: isPool ? 'pool-table' : 'mine-table' }, h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))), tbody)),
    h('div', { class: 'pager' }, h('button', { type: 'button', class: 'secondary', onclick: () => { offset = Math.max(0, offset - limit); load(); } }, t('prev')),
      h('button', { type: 'button', class: 'secondary', onclick: () => { offset += limit; load(); } }, t('next')), info)));
  await load();
}

async function viewCustomer(id) {
  const [c, f, a] = await Promise.all([api('GET', `/customers/${id}`), api('GET', `/customers/${id}/followups`), api('GET', `/audit?customer_id=${id}`)]);
  if (c.status !== 200) { render(h('p', { class: 'error' }, errorText(c.data))); return; }
  const x = c.data;
  const note = h('textarea', { id: 'followup-note', 'aria-label': t('followup_note'), rows: 2 });
  const list = h('ul', { id: 'followups' }, (f.data && f.data.items || []).map((i) => h('li', {}, `${date(i.at)} ${i.author}: ${i.note}`)));
  render(h('h1', {}, x.name),
    h('div', { class: 'card' },
      h('p', {}, `${t('owner')}: ${x.owner ? x.owner.display_name : t('in_pool')} · ${t('entered')}: ${x.created_by.display_name} ${date(x.created_at)}`),
      h('p', {}, `${t('phones')}: ${(x.phones || []).join(', ') || '—'} · ${t('emails')}: ${(x.emails || []).join(', ') || '—'}`),
      warningsView('value-warnings', x.warnings),
      x.note ? h('p', { id: 'customer-note', class: 'pre' }, `${t('note')}: ${x.note}`) : null,
      x.contacts && x.contacts.length ? h('p', {}, `${t('contacts')}: ${x.contacts.map((k) => k.name).join(', ')}`) : null,
      x.owner && x.access === 'full' ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
        const r = await api('POST', `/customers/${id}/release`, {}); toast(r.status === 200 ? t('release') : errorText(r.data)); route();
      } }, t('release')) : null),
    h('div', { class: 'card' }, h('h2', {}, t('followups')), note,
      h('div', { class: 'actions', id: 'quick-followups' }, t('quick'), ['call', 'visit', 'message'].map((k) => h('button', { type: 'button', class: 'secondary', 'data-kind': k, onclick: async () => {
        const r = await api('POST', `/customers/${id}/followups`, { kind: k, note: note.value.trim() || t('kind_' + k) });
        if (r.status === 201) route(); else toast(errorText(r.data));
      } }, t('kind_' + k)))),
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'add-followup', onclick: async () => {
        if (!note.value.trim()) return;
        const r = await api('POST', `/customers/${id}/followups`, { note: note.value });
        if (r.status === 201) route(); else toast(errorText(r.data));
      } }, t('add_followup'))), list),
    h('div', { class: 'card' }, h('h2', {}, t('history')), h('ul', {}, (a.data && a.data.items || []).map((e) =>
      h('li', {}, `${date(e.at)} ${e.action} · ${e.actor} · ${e.before_owner || '—'} → ${e.after_owner || '—'} · ${e.rule}${e.reason ? ' · ' + e.reason : ''}`)))));
}

function sideView(title, s) {
  return h('div', { class: 'card' }, h('h2', {}, title),
    h('p', {}, h('strong', {}, s.name || '—'), s.customer_id ? ` #${s.customer_id}` : ''),
    h('p', {}, `${t('owned_by')}: ${s.rep.display_name} (${s.rep.username})`),
    h('p', {}, `${t('entered')}: ${s.entered_by ? s.entered_by.display_name : '—'} ${dateTime(s.entered_at)}`),
    h('p', {}, `${t('followup_count')}: ${s.followups} · ${t('last_followup')}: ${date(s.last_followup_at)} · ${t('open_deals')}: ${s.open_deals}`));
}

async function viewCollisions() {
  const r = await api('GET', '/collisions?status=open');
  if (r.status !== 200) { render(h('p', { class: 'error' }, errorText(r.data))); return; }
  const items = r.data.items;
  render(h('h1', {}, t('collisions_title')), h('div', { class: 'card' },
    items.length ? h('ul', { id: 'cases' }, items.map((c) => h('li', {}, h('a', { href: `#/case/${c.id}` }, `#${c.id} ${c.first.name} — ${c.first.rep.display_name} / ${c.second.rep.display_name}`), ' ', h('span', { class: 'badge' }, t('origin_' + c.origin)))))
      : h('p', { class: 'muted' }, t('no_cases'))));
}

async function viewCase(id) {
  const r = await api('GET', `/collisions/${id}`);
  if (r.status !== 200) { render(h('p', { class: 'error' }, errorText(r.data))); return; }
  const c = r.data;
  const reasons = h('ul', {}, (c.reasons || []).map((x) => h('li', {}, state.lang === 'zh' ? x.message : x.message_en)));
  const parts = [h('h1', {}, `${t('collisions_title')} #${c.id}`),
    h('p', {}, `${t('origin')}: ${t('origin_' + c.origin)} · ${t('default_winner')}: `, h('strong', { id: 'default-winner' }, c.default_winner), c.reason ? ` · ${c.reason}` : ''),
    h('div', { class: 'sides' }, sideView(t('first_side'), c.first), sideView(t('second_side'), c.second)),
    h('div', { class: 'card' }, h('h2', {}, t('reasons')), c.score !== null ? h('p', {}, `${Math.round(c.score * 100)}%`) : null, reasons)];
  if (c.decision) {
    parts.push(h('div', { class: 'card', id: 'decision' }, h('h2', {}, t('decided')), h('p', {}, `${t('winner')}: ${c.decision.winner} · ${t('rule_' + c.decision.rule)}${c.decision.reason ? ' · ' + c.decision.reason : ''} · ${c.decision.decided_by} ${dateTime(c.decision.decided_at)}`)));
  } else if (state.me.role !== 'rep') {
    const reps = [c.first.rep, c.second.rep];
    const choice = h('select', { id: 'winner', 'aria-label': t('winner') }, reps.map((u) => h('option', { value: u.username, selected: u.username === c.default_winner }, `${u.display_name} (${u.username})`)));
    const merge = h('input', { type: 'checkbox', id: 'merge', disabled: !c.second.customer_id });
    const why = h('textarea', { id: 'decision-reason', rows: 2 });
    const err = h('p', { class: 'error', role: 'alert' });
    parts.push(h('form', { class: 'card', id: 'decide-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const rr = await api('POST', `/collisions/${id}/decide`, { winner: choice.value, merge: merge.checked, reason: why.value || null });
      if (rr.status === 200) { toast(t('decided')); route(); } else err.textContent = errorText(rr.data);
    } }, h('label', { for: 'winner' }, t('winner')), choice, h('label', {}, merge, ' ', t('merge')),
    h('label', { for: 'decision-reason' }, t('decision_reason')), why, err, h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'decide' }, t('decide')))));
  }
  render(...parts);
}

function fieldErrors(r) {
  const fields = (r.data && r.data.fields) || [];
  return fields.length ? fields.map((f) => `${f.field}: ${f.message}`).join('\n') : errorText(r.data);
}

function listOrNull(v) { const l = splitList(v); return l.length ? l : null; }

// The rule form: the same for a new rule and for changing one.
function ruleForm(rule, teams, onSaved) {
  const w = (rule && rule.when) || {};
  const f = {};
  const input = (k, value, attrs) => (f[k] = h('input', Object.assign({ id: 'rule-' + k, value: value ?? '' }, attrs || {})));
  const field = (k, label, el) => h('div', {}, h('label', { for: 'rule-' + k }, label), el);
  const strategies = ['round_robin', 'weighted', 'least_loaded', 'best_match', 'priority'];
  f.strategy = h('select', { id: 'rule-strategy' }, strategies.map((x) => h('option', { value: x, selected: rule && rule.strategy === x }, t('strategy_' + x))));
  f.team = h('select', { id: 'rule-team' }, h('option', { value: '' }, t('target_reps')), teams.map((x) => h('option', { value: x.name, selected: rule && rule.team === x.name }, x.name)));
  const err = h('pre', { class: 'error', role: 'alert', id: 'rule-error' });
  const form = h('form', { class: 'card', id: rule ? 'rule-edit' : 'rule-new', onsubmit: async (ev) => {
    ev.preventDefault();
    const when = {};
    for (const k of ['province', 'city', 'industry', 'size', 'source', 'language', 'tags']) { const l = listOrNull(f[k].value); if (l) when[k] = l; }
    for (const k of ['min_value', 'max_value']) if (f[k].value.trim()) when[k] = Number(f[k].value);
    const body = { name: f.name.value.trim(), when, strategy: f.strategy.value };
    if (f.position.value.trim()) body.position = Number(f.position.value);
    if (f.team.value) body.team = f.team.value; else body.reps = splitList(f.reps.value);
    const weights = {};
    for (const pair of splitList(f.weights.value)) { const [u, n] = pair.split('='); if (u && n) weights[u.trim()] = Number(n); }
    if (Object.keys(weights).length) body.weights = weights;
    const r = await api(rule ? 'PUT' : 'POST', rule ? `/assignment/rules/${rule.id}` : '/assignment/rules', body);
    if (r.status === 200 || r.status === 201) { toast(t('saved')); onSaved(); } else err.textContent = fieldErrors(r);
  } }, h('h2', {}, rule ? `${t('edit_rule')} #${rule.id} (v${rule.version})` : t('new_rule')),
  h('div', { class: 'row' },
    field('name', t('rule_name'), input('name', rule && rule.name, { required: true })),
    field('position', t('position'), input('position', rule && rule.position, { type: 'number', min: 1 })),
    field('strategy', t('strategy'), f.strategy),
    field('team', t('team'), f.team),
    field('reps', t('reps'), input('reps', rule && rule.reps.join(', '))),
    field('weights', t('weights'), input('weights', rule && Object.entries(rule.weights).map(([u, n]) => `${u}=${n}`).join(', '))),
    field('province', t('province'), input('province', (w.province || []).join(', '))),
    field('city', t('city'), input('city', (w.city || []).join(', '))),
    field('industry', t('industry'), input('industry', (w.industry || []).join(', '))),
    field('size', t('size'), input('size', (w.size || []).join(', '))),
    field('source', t('source'), input('source', (w.source || []).join(', '))),
    field('language', t('language'), input('language', (w.language || []).join(', '))),
    field('tags', t('tags'), input('tags', (w.tags || []).join(', '))),
    field('min_value', t('min_value'), input('min_value', w.min_value, { type: 'number', min: 0 })),
    field('max_value', t('max_value'), input('max_value', w.max_value, { type: 'number', min: 0 }))),
  err, h('div', { class: 'actions' }, h('button', { type: 'submit', id: rule ? 'rule-update' : 'rule-create' }, t('save'))));
  return form;
}

async function viewRules(editId) {
  const [r, teams] = await Promise.all([api('GET', '/assignment/rules'), api('GET', '/teams')]);
  const rules = r.data || [];
  const canEdit = state.me.role !== 'rep';
  const result = h('div', { id: 'dry-run-result', 'aria-live': 'polite' });
  const f = {};
  for (const k of ['name', 'province', 'industry', 'source', 'value']) f[k] = h('input', { id: 'd-' + k });
  const editing = rules.find((x) => String(x.id) === String(editId));
  render(h('h1', {}, t('rules_title')),
    h('div', { class: 'card table-wrap' }, h('table', { id: 'rules-table' },
      h('thead', {}, h('tr', {}, ['#', t('rule_name'), t('conditions'), t('strategy'), t('target'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rules.length ? rules.map((x) => h('tr', {}, h('td', {}, String(x.position)), h('td', {}, x.name), h('td', {}, x.summary),
        h('td', {}, t('strategy_' + x.strategy)), h('td', {}, x.team || x.reps.join(', ')),
        h('td', {}, canEdit ? [h('a', { href: `#/rules/${x.id}` }, t('edit')), ' ', h('button', { type: 'button', class: 'link', onclick: async () => {
          const rr = await api('DELETE', `/assignment/rules/${x.id}`);
          if (rr.status === 204) route(); else toast(errorText(rr.data));
        } }, t('delete'))] : null))) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('empty')))))),
    canEdit ? ruleForm(editing || null, teams.data || [], () => { location.hash = '#/rules'; route(); }) : null,
    h('form', { class: 'card', id: 'dry-run', onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { name: f.name.value.trim() };
      for (const k of ['province', 'industry', 'source']) if (f[k].value.trim()) body[k] = f[k].value.trim();
      if (f.value.value.trim()) body.value = Number(f.value.value);
      const rr = await api('POST', '/assignment/dry-run', body);
      result.replaceChildren(h('p', {}, rr.status === 200 ? rr.data.decision.explanation : fieldErrors(rr)));
    } }, h('h2', {}, t('dry_run')), h('p', { class: 'muted' }, t('dry_run_hint')),
    h('div', { class: 'row' }, ['name', 'province', 'industry', 'source', 'value'].map((k) => h('div', {}, h('label', { for: 'd-' + k }, t(k)), f[k]))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'dry-run-submit' }, t('dry_run'))), result));
}

async function authedText(path) {
  const resp = await fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + state.token } });
  return resp.ok ? resp.text() : '';
}

async function viewReports() {
  const today = new Date().toISOString().slice(0, 10);
  const weekAgo = new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10);
  const from = h('input', { id: 'r-from', type: 'date', value: weekAgo });
  const to = h('input', { id: 'r-to', type: 'date', value: today });
  const out = h('div', { id: 'report' });
  const show = async () => {
    const qs = `from=${from.value}&to=${to.value}`;
    const r = await api('GET', '/reports?' + qs);
    if (r.status !== 200) { out.replaceChildren(h('p', { class: 'error' }, errorText(r.data))); return; }
    const charts = await Promise.all(['collision_trend', 'blocked_by_rep', 'fairness', 'pool'].map((c) => authedText(`/reports/chart?chart=${c}&${qs}`)));
    const boxes = charts.map((svg) => { const d = h('div', { class: 'chart' }); d.innerHTML = svg; return d; }); // SVG from our own server
    const download = (fmt) => h('button', { type: 'button', class: 'secondary', onclick: async () => {
      const resp = await fetch(`/api/v1/reports/download?format=${fmt}&${qs}`, { headers: { Authorization: 'Bearer ' + state.token } });
      const a = h('a', { href: URL.createObjectURL(await resp.blob()), download: `leadguard-report-${from.value}-${to.value}.${fmt}` });
      document.body.append(a); a.click(); a.remove();
    } }, t('download_' + fmt));
    out.replaceChildren(h('div', { class: 'card' }, h('p', {}, `${t('blocked_total')}: ${r.data.collisions.blocked} · ${t('gini')}: ${r.data.fairness.gini} · ${t('pool_size')}: ${r.data.pool.size}`),
      h('div', { class: 'actions' }, download('xlsx'), download('csv'))), ...boxes);
  };
  render(h('h1', {}, t('reports_title')), h('div', { class: 'card row' }, h('div', {}, h('label', { for: 'r-from' }, t('from')), from),
    h('div', {}, h('label', { for: 'r-to' }, t('to')), to), h('div', { class: 'actions' }, h('button', { type: 'button', onclick: show }, t('show')))), out);
  await show();
}

// ---- import: upload a file, follow the job, see the rows that need attention ----

// RFC 4180 CSV (quotes, doubled quotes, CRLF), as the result file is written; drops a BOM.
function parseCsv(text) {
  const rows = []; let row = []; let cell = ''; let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// The result file's messages are English (as `leadguard import` writes them); their usual
// phrasings in Chinese. Anything else is shown as written.
const RESULT_ZH = [
  [/duplicate of customer #(\d+) \((.*)\) owned by (\S+)/, '与客户 #$1（$2）重复，归属 $3'],
  [/duplicate of customer #(\d+) \((.*)\), in the public pool/, '与客户 #$1（$2）重复，该客户在公海中'],
  [/duplicate of row (\d+) of this file/, '与本文件第 $1 行重复'],
  [/^created; looks like customer #(\d+) \((.*)\)/, '已新建；疑似客户 #$1（$2）'],
  [/^dry run: would be created/, '试运行：将新建'],
  [/looks like customer #(\d+) \((.*)\)/, '疑似客户 #$1（$2）'],
  [/looks like row (\d+) of this file/, '疑似本文件第 $1 行'],
  [/row (\d+), column (\d+) \(([^)]*)\): /g, '第 $1 行第 $2 列（$3）：'],
  [/^row (\d+): (\S+) already owns (\d+) customers, the most allowed/, '第 $1 行：$2 已有 $3 个客户，达到上限'],
  [/^row (\d+), ([\w[\]]+): /, '第 $1 行 $2：'],
];
function resultMessage(m) {
  if (state.lang !== 'zh') return m;
  for (const [re, zh] of RESULT_ZH) m = m.replace(re, zh);
  return m;
}

async function authedDownload(path, name) {
  const resp = await fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + state.token } });
  if (!resp.ok) { toast(t('error')); return; }
  const url = URL.createObjectURL(await resp.blob());
  const a = h('a', { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

const JOB_FINISHED = (j) => j.status === 'done' || j.status === 'failed';

function countsView(j, id) {
  const items = [['created', j.created], ['duplicate', j.duplicate], ['suspected', j.suspected], ['error', j.errors]];
  return h('ul', { class: 'counts', id }, items.map(([k, n]) => h('li', { 'data-count': k, class: 'count-' + k }, t('count_' + k), ' ', h('strong', {}, String(n)))));
}

function jobStatusText(j) {
  const s = `${t('job_status')}: ${t('status_' + j.status)}`;
  return j.status === 'failed' ? `${s} · ${j.message || t('import_failed')}` : s;
}

// One job: progress polled every second until it is done, then the rows to look at.
function jobPanel(id, onFinished) {
  const heading = h('h2', { tabindex: '-1', id: 'import-job-title' }, t('import_job', { id }));
  const status = h('p', { id: 'import-status', 'aria-live': 'polite' });
  const bar = h('progress', { id: 'import-progress', max: 1, value: 0, 'aria-labelledby': 'import-rows' });
  const rows = h('p', { id: 'import-rows', class: 'muted' });
  const counts = h('div');
  const after = h('div', { id: 'import-after' });
  const panel = h('section', { class: 'card', id: 'import-job', 'aria-labelledby': 'import-job-title' }, heading, status, bar, rows, counts, after);
  let lastStatus = null;
  const poll = async () => {
    if (!panel.isConnected) return; // another screen (or language) now
    const r = await api('GET', `/imports/${id}`);
    if (r.status !== 200) { status.textContent = errorText(r.data); return; }
    const j = r.data;
    heading.textContent = `${t('import_job', { id })} · ${j.file_name}`;
    if (j.status !== lastStatus) status.textContent = jobStatusText(j); // announced once per change
    bar.max = Math.max(j.total_rows, 1); bar.value = j.rows_done;
    rows.textContent = t('rows_progress', { done: j.rows_done, total: j.total_rows });
    counts.replaceChildren(h('div', {}, countsView(j, 'import-counts'), j.dry_run ? h('p', { class: 'badge warn' }, t('dry_run_note')) : null));
    const first = lastStatus === null;
    lastStatus = j.status;
    if (!JOB_FINISHED(j)) { setTimeout(poll, first ? 300 : 1000); return; }
    if (!first && onFinished) onFinished();
    if (j.status === 'done' || j.rows_done > 0) await showResult(j);
  };
  const showResult = async (j) => {
    const download = h('button', { type: 'button', class: 'secondary', id: 'import-download',
      onclick: () => authedDownload(`/imports/${id}/result`, `leadguard-import-${id}-result.csv`) }, t('download_result'));
    const text = await authedText(`/imports/${id}/result`);
    const lines = parseCsv(text).slice(1).filter((x) => x.length >= 6);
    // Refused and duplicate rows, and saved rows with a value kept unverified or in the note.
    const issues = lines.filter((x) => x[1] !== 'created' || (x[6] || '').trim());
    const shown = issues.slice(0, 20);
    const table = issues.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'import-issues' },
      h('thead', {}, h('tr', {}, [t('col_row'), t('col_status'), t('owned_by'), t('col_message')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, shown.map(([row, st, , , owner, message, warnings]) => h('tr', { 'data-row': row, 'data-status': st },
        h('td', {}, row), h('td', {}, h('span', { class: 'badge status-' + st }, t('count_' + st))), h('td', {}, owner || '—'),
        h('td', {}, [message, warnings].filter((m) => (m || '').trim()).map(resultMessage).join('；'))))))) : null;
    after.replaceChildren(h('div', {}, h('div', { class: 'actions' }, download),
      h('h3', {}, t('attention_title')),
      issues.length ? h('p', { class: 'muted' }, t('attention_hint')) : h('p', { class: 'muted', id: 'import-all-created' }, t('all_created')),
      table, issues.length > shown.length ? h('p', { class: 'muted' }, t('attention_more', { n: issues.length - shown.length })) : null));
  };
  return { panel, heading, start: poll };
}

async function viewImport(jobId) {
  const manages = state.me.role !== 'rep';
  const file = h('input', { id: 'imp-file', name: 'file', type: 'file', accept: '.csv,.xlsx', required: true, 'aria-describedby': 'imp-file-hint' });
  const owner = manages ? h('input', { id: 'imp-owner', name: 'owner', value: state.me.username, list: 'imp-owner-list', autocomplete: 'off', 'aria-describedby': 'imp-owner-hint' }) : null;
  const ownerList = manages ? h('datalist', { id: 'imp-owner-list' }) : null;
  // Where rows without an owner go (a file with a 负责人 column gives the others their owner).
  const placement = manages ? h('select', { id: 'imp-placement', name: 'placement', 'aria-describedby': 'imp-placement-hint' },
    ['owner', 'pool', 'assign'].map((v) => h('option', { value: v }, t('placement_' + v)))) : null;
  const ignoreCap = state.me.role === 'admin' ? h('input', { id: 'imp-ignore-cap', name: 'ignore_cap', type: 'checkbox' }) : null;
  const dry = h('input', { id: 'imp-dry-run', name: 'dry_run', type: 'checkbox' });
  const mapping = h('input', { id: 'imp-mapping', name: 'mapping', autocomplete: 'off', 'aria-describedby': 'imp-mapping-hint', placeholder: '公司全称=name, 座机=phone' });
  const err = h('p', { class: 'error', id: 'import-error', role: 'alert' });
  const submit = h('button', { type: 'submit', id: 'import-submit' }, t('import_submit'));
  const form = h('form', { class: 'card', id: 'import-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { err.textContent = t('import_file'); return; }
    const params = new URLSearchParams({ filename: f.name });
    if (owner && owner.value.trim()) params.set('owner', owner.value.trim());
    if (placement && placement.value === 'pool') params.set('to_pool', 'true');
    if (placement && placement.value === 'assign') params.set('assign', 'true');
    if (ignoreCap && ignoreCap.checked) params.set('ignore_cap', 'true');
    if (dry.checked) params.set('dry_run', 'true');
    const m = mapping.value.replace(/，/g, ',').replace(/＝/g, '=').trim();
    if (m) params.set('mapping', m);
    err.textContent = ''; submit.disabled = true; submit.textContent = t('uploading');
    let resp;
    try {
      resp = await fetch('/api/v1/imports?' + params, { method: 'POST', body: f,
        headers: { Authorization: 'Bearer ' + state.token, 'Content-Type': 'application/octet-stream' } });
    } catch (_) { resp = null; }
    submit.disabled = false; submit.textContent = t('import_submit');
    if (!resp) { err.textContent = t('error'); return; }
    if (resp.status === 401) { logout(false); return; }
    let data = null;
    try { data = await resp.json(); } catch (_) { /* not JSON */ }
    if (resp.status !== 202) { // the server's words, and each field's if it says more
      const more = ((data && data.fields) || []).map((x) => x.message).filter((x) => x && x !== errorText(data));
      err.textContent = [errorText(data), ...more].join(' · ');
      return;
    }
    location.hash = `#/import/${data.id}`;
  } }, h('h2', {}, t('import_submit')),
  h('label', { for: 'imp-file' }, t('import_file')), file, h('p', { class: 'muted hint', id: 'imp-file-hint' }, t('import_file_hint')),
  manages ? [h('label', { for: 'imp-owner' }, t('import_owner')), owner, ownerList, h('p', { class: 'muted hint', id: 'imp-owner-hint' }, t('import_owner_hint')),
    h('label', { for: 'imp-placement' }, t('import_placement')), placement, h('p', { class: 'muted hint', id: 'imp-placement-hint' }, t('import_placement_hint'))] : null,
  ignoreCap ? h('label', { class: 'check', for: 'imp-ignore-cap' }, ignoreCap, ' ', t('import_ignore_cap')) : null,
  h('label', { class: 'check', for: 'imp-dry-run' }, dry, ' ', t('import_dry_run')),
  h('label', { for: 'imp-mapping' }, t('import_mapping')), mapping, h('p', { class: 'muted hint', id: 'imp-mapping-hint' }, t('import_mapping_hint')),
  err, h('div', { class: 'actions' }, submit));

  const tbody = h('tbody');
  const loadJobs = async () => {
    const r = await api('GET', '/imports');
    tbody.replaceChildren();
    if (r.status !== 200) { tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'error' }, errorText(r.data)))); return; }
    if (!r.data.length) tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('empty'))));
    for (const j of r.data.slice(0, 20)) {
      tbody.append(h('tr', { 'data-id': j.id },
        h('td', {}, h('a', { href: `#/import/${j.id}`, 'aria-current': String(j.id) === String(jobId) ? 'true' : null }, `#${j.id} ${j.file_name}`)),
        h('td', {}, t('status_' + j.status), j.dry_run ? [' ', h('span', { class: 'badge warn' }, t('dry_run'))] : null,
          JOB_FINISHED(j) ? null : ` ${j.rows_done}/${j.total_rows}`),
        h('td', {}, ['created', 'duplicate', 'suspected', 'error'].map((k) => `${t('count_' + k)} ${k === 'error' ? j.errors : j[k]}`).join(' · ')),
        h('td', {}, j.placement && j.placement !== 'owner' ? `${t('placement_' + j.placement)} (${j.submitted_by})` : j.owner === j.submitted_by ? j.owner : `${j.owner} (${j.submitted_by})`),
        h('td', {}, dateTime(j.created_at))));
    }
  };
  const jobs = h('section', { class: 'card table-wrap', 'aria-labelledby': 'import-jobs-title' }, h('h2', { id: 'import-jobs-title' }, t('recent_imports')),
    h('table', { id: 'import-jobs' }, h('thead', {}, h('tr', {}, [t('file'), t('job_status'), t('col_status'), t('owner'), t('submitted')].map((x) => h('th', { scope: 'col' }, x)))), tbody));
  const job = jobId ? jobPanel(jobId, loadJobs) : null;
  const history = manages ? followupImportForm() : null;
  render(h('h1', {}, t('import_title')), job ? job.panel : null, form, history, jobs); // a job's progress first
  if (job) job.heading.focus(); // a new job: go to its progress
  const waits = [loadJobs()];
  if (job) waits.push(job.start());
  if (manages) {
    waits.push(api('GET', '/users').then((u) => {
      for (const x of (u.data || []).filter((x) => x.active && x.username !== '_system')) ownerList.append(h('option', { value: x.username }, x.display_name));
    }));
  }
  await Promise.all(waits);
}

// Follow-up history (跟进记录) for customers already imported: answered when every row is done.
function followupImportForm() {
  const file = h('input', { id: 'fu-file', type: 'file', accept: '.csv,.xlsx', required: true, 'aria-describedby': 'fu-hint' });
  const dry = h('input', { id: 'fu-dry-run', type: 'checkbox' });
  const err = h('p', { class: 'error', id: 'fu-error', role: 'alert' });
  const out = h('div', { id: 'fu-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'fu-submit' }, t('fu_submit'));
  return h('form', { class: 'card', id: 'followup-import-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { err.textContent = t('import_file'); return; }
    const params = new URLSearchParams({ filename: f.name });
    if (dry.checked) params.set('dry_run', 'true');
    err.textContent = ''; out.replaceChildren(); submit.disabled = true; submit.textContent = t('fu_working');
    let resp = null;
    try {
      resp = await fetch('/api/v1/imports/followups?' + params, { method: 'POST', body: f,
        headers: { Authorization: 'Bearer ' + state.token, 'Content-Type': 'application/octet-stream' } });
    } catch (_) { /* shown below */ }
    submit.disabled = false; submit.textContent = t('fu_submit');
    if (!resp) { err.textContent = t('error'); return; }
    if (resp.status === 401) { logout(false); return; }
    let data = null;
    try { data = await resp.json(); } catch (_) { /* not JSON */ }
    if (resp.status !== 200) { err.textContent = errorText(data); return; }
    const attention = data.rows.filter((r) => r.status === 'unmatched' || r.status === 'error');
    out.append(h('p', { id: 'fu-counts' }, ['created', 'duplicate', 'unmatched', 'error'].map((k) => `${t('fu_' + k)} ${data[k]}`).join(' · '),
      data.dry_run ? [' ', h('span', { class: 'badge warn' }, t('dry_run'))] : null));
    if (attention.length) {
      out.append(h('ul', { id: 'fu-attention' }, attention.slice(0, 100).map((r) => h('li', {}, `${t('fu_row', { row: r.row })}: ${r.message}`))));
    }
  } }, h('h2', {}, t('fu_title')),
  h('label', { for: 'fu-file' }, t('import_file')), file, h('p', { class: 'muted hint', id: 'fu-hint' }, t('fu_hint')),
  h('label', { class: 'check', for: 'fu-dry-run' }, dry, ' ', t('import_dry_run')),
  err, h('div', { class: 'actions' }, submit), out);
}

async function viewAdmin() {
  const [u, p, teams, hooks] = await Promise.all([api('GET', '/users'), api('GET', '/pool/policy'), api('GET', '/teams'), api('GET', '/webhooks')]);
  const patchUser = async (name, body) => { const r = await api('PATCH', `/users/${name}`, body); toast(r.status === 200 ? t('saved') : errorText(r.data)); route(); };
  const users = h('div', { class: 'card table-wrap' }, h('h2', {}, t('users')), h('table', { id: 'users-table' },
    h('thead', {}, h('tr', {}, [t('username'), t('role'), t('team'), t('cap'), t('on_leave'), ''].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, (u.data || []).filter((x) => x.username !== '_system').map((x) => h('tr', { 'data-user': x.username },
      h('td', {}, `${x.display_name} (${x.username})${x.active ? '' : ' · ' + t('inactive')}`), h('td', {}, x.role), h('td', {}, x.team || '—'),
      h('td', {}, h('input', { type: 'number', min: 0, 'aria-label': `${t('cap')} ${x.username}`, value: x.owner_cap ?? '', placeholder: t('default'),
        onchange: (ev) => patchUser(x.username, { owner_cap: ev.target.value === '' ? -1 : Number(ev.target.value) }) })),
      h('td', {}, h('input', { type: 'checkbox', 'aria-label': `${t('on_leave')} ${x.username}`, checked: x.on_leave, onchange: (ev) => patchUser(x.username, { on_leave: ev.target.checked }) })),
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => patchUser(x.username, { active: !x.active }) }, x.active ? t('deactivate') : t('activate'))))))));
  const nu = {};
  const newUser = h('form', { class: 'card', id: 'user-new', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { username: nu.username.value.trim(), display_name: nu.display_name.value.trim() || null, role: nu.role.value, password: nu.password.value };
    if (nu.team.value) body.team = nu.team.value;
    const r = await api('POST', '/users', body);
    if (r.status === 201) { toast(t('saved')); route(); } else toast(fieldErrors(r));
  } }, h('h2', {}, t('new_user')), h('div', { class: 'row' },
    ['username', 'display_name', 'password'].map((k) => h('div', {}, h('label', { for: 'nu-' + k }, t(k)), (nu[k] = h('input', { id: 'nu-' + k, type: k === 'password' ? 'password' : 'text', required: k !== 'display_name', autocomplete: 'off' })))),
    h('div', {}, h('label', { for: 'nu-role' }, t('role')), (nu.role = h('select', { id: 'nu-role' }, ['rep', 'manager', 'admin'].map((x) => h('option', { value: x }, x))))),
    h('div', {}, h('label', { for: 'nu-team' }, t('team')), (nu.team = h('select', { id: 'nu-team' }, h('option', { value: '' }, '—'), (teams.data || []).map((x) => h('option', { value: x.name }, x.name)))))),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('save'))));
  const teamName = h('input', { id: 'team-name', 'aria-label': t('team') });
  const teamsCard = h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/teams', { name: teamName.value.trim() });
    if (r.status === 201) route(); else toast(errorText(r.data));
  } }, h('h2', {}, t('teams')), h('p', {}, (teams.data || []).map((x) => x.name).join('、') || t('empty')),
  h('div', { class: 'actions' }, teamName, h('button', { type: 'submit' }, t('add'))));
  // The pool policy: global, or one team's overrides (empty: follow the global value).
  const scope = h('select', { id: 'policy-scope', 'aria-label': t('policy'), onchange: () => loadPolicy() }, h('option', { value: '' }, t('global')), (teams.data || []).map((x) => h('option', { value: x.name }, x.name)));
  const grid = h('div', { class: 'row' });
  const inputs = {};
  const loadPolicy = async () => {
    const r = scope.value ? await api('GET', `/teams/${encodeURIComponent(scope.value)}/pool/policy`) : p;
    grid.replaceChildren();
    for (const [k, v] of Object.entries((r.data && r.data.effective) || {})) {
      const own = scope.value ? r.data.overrides[k] : v;
      inputs[k] = h('input', { id: 'p-' + k, type: 'number', min: 0, value: own ?? '', placeholder: scope.value ? String(v) : '' });
      grid.append(h('div', {}, h('label', { for: 'p-' + k }, t('policy_' + k)), inputs[k]));
    }
  };
  const policy = h('form', { class: 'card', id: 'policy-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, el] of Object.entries(inputs)) body[k] = el.value === '' ? (scope.value ? null : undefined) : Number(el.value);
    const r = await api('PUT', scope.value ? `/teams/${encodeURIComponent(scope.value)}/pool/policy` : '/pool/policy', body);
    toast(r.status === 200 ? t('saved_policy') : fieldErrors(r));
  } }, h('h2', {}, t('policy')), scope, grid, h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('save'))));
  await loadPolicy();
  const wh = {};
  const webhooks = h('form', { class: 'card', id: 'webhooks', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { name: wh.name.value.trim(), url: wh.url.value.trim(), format: wh.format.value };
    if (wh.secret.value) body.secret = wh.secret.value;
    const r = await api('POST', '/webhooks', body);
    if (r.status === 201) route(); else toast(fieldErrors(r));
  } }, h('h2', {}, t('webhooks')),
  h('ul', {}, (hooks.data || []).map((x) => h('li', {}, `${x.name} · ${x.format} · ${x.url} ${x.active ? '' : '(' + t('inactive') + ')'} `,
    h('button', { type: 'button', class: 'link', onclick: async () => { await api('DELETE', `/webhooks/${x.id}`); route(); } }, t('delete'))))),
  h('div', { class: 'row' }, ['name', 'url', 'secret'].map((k) => h('div', {}, h('label', { for: 'wh-' + k }, t('webhook_' + k)), (wh[k] = h('input', { id: 'wh-' + k, required: k !== 'secret' })))),
    h('div', {}, h('label', { for: 'wh-format' }, t('webhook_format')), (wh.format = h('select', { id: 'wh-format' }, ['generic', 'wecom', 'dingtalk', 'feishu'].map((x) => h('option', { value: x }, t('format_' + x))))))),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('add'))));
  render(h('h1', {}, t('admin_title')), users, newUser, teamsCard, policy, webhooks);
}

async function route() {
  header();
  const [, page, arg] = location.hash.split('/');
  if (!state.token) { viewLogin(); return; }
  if (!state.me) {
    const r = await api('GET', '/me');
    if (r.status !== 200) return;
    state.me = r.data.user || r.data;
    startEvents();
    header();
  }
  if (!state.policy) { const p = await api('GET', '/pool/policy'); if (p.status === 200) state.policy = p.data; }
  switch (page) {
    case 'new': viewNew(); break;
    case 'pool': await viewList('pool'); break;
    case 'customer': await viewCustomer(arg); break;
    case 'collisions': await viewCollisions(); break;
    case 'case': await viewCase(arg); break;
    case 'rules': await viewRules(arg); break;
    case 'reports': await viewReports(); break;
    case 'import': await viewImport(arg); break;
    case 'admin': await viewAdmin(); break;
    case 'login': location.hash = '#/mine'; break;
    default: await viewList('mine');
  }
  header();
  // Move focus to the new screen (for keyboards and screen readers), unless a field has it.
  if (!main().contains(document.activeElement)) main().focus();
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lg.lang', state.lang);
    route();
  });
  document.getElementById('logout').addEventListener('click', () => logout());
  route();
});
