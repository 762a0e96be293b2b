// Labels in Chinese and English. `t(key)` gives the current language's label; the enum tables name
// the bus's codes (CaseStatus, Category, JurisdictionLevel, ResponseLevel, alert kinds, event types).

const LABELS = {
  title: ["一屏观全域 · 事件总线", "Whole area at a glance · incidentbus"],
  skip: ["跳到案件列表", "Skip to the case list"],
  lang: ["English", "中文"],
  langName: ["切换到英文", "Switch to Chinese"],
  connecting: ["连接中…", "connecting…"],
  live: ["实时", "live"],
  offline: ["连接中断，重连中", "disconnected, reconnecting"],
  alerts: ["实时警报", "Live alerts"],
  noAlerts: ["暂无警报", "no alerts yet"],
  agencies: ["各部门", "Agencies"],
  openTasks: ["在办任务", "open tasks"],
  overdueTasks: ["已过时限任务", "past a deadline"],
  medianAck: ["签收中位时长", "median to acknowledge"],
  compliance: ["按时签收率", "acknowledged in time"],
  routine: ["常规", "routine"],
  openCases: ["件在办", "open cases"],
  map: ["网格地图", "Grid map"],
  mapLabel: ["网格地图：按在办案件数着色；可用下方筛选按网格查看", "Grid map, shaded by open cases; the filters below select a grid by keyboard"],
  legend: ["图例", "Legend"],
  legendOpen: ["在办案件数", "open cases"],
  legendOverdue: ["粗虚线边框：有超时或已升级案件（此类网格不超过 200 个时另标 ⚠）", "thick dashed border: a case overdue or escalated (marked ⚠ too while 200 grids or fewer)"],
  legendSix: ["✱：六不明（快速通道）", "✱: six unknowns (fast path)"],
  legendMajor: ["Ⅰ/Ⅱ：一级、二级应急响应", "Ⅰ/Ⅱ: response level I or II"],
  cases: ["案件", "Cases"],
  filters: ["筛选", "Filters"],
  areaLevel: ["辖区层级", "Jurisdiction level"],
  area: ["辖区", "Area"],
  all: ["全部", "all"],
  category: ["类别", "Category"],
  status: ["状态", "Status"],
  openAll: ["全部在办", "all open"],
  closedAll: ["已关闭/已合并", "closed or merged"],
  search: ["搜索案件号/类型", "Search case id or type"],
  drills: ["显示演练", "Show drills"],
  clear: ["清除筛选", "Clear filters"],
  count: ["显示 {shown} / 共 {total} 件", "showing {shown} of {total}"],
  prev: ["上一页", "Previous page"],
  next: ["下一页", "Next page"],
  page: ["第 {page} / {pages} 页", "page {page} of {pages}"],
  colCase: ["案件号", "Case"],
  colStatus: ["状态", "Status"],
  colCategory: ["类别", "Category"],
  colAge: ["时长", "Age"],
  colDue: ["下一时限", "Next deadline"],
  colEscalation: ["督办层级", "Escalation"],
  colResponse: ["响应级别", "Response"],
  colLead: ["牵头部门", "Lead agency"],
  colFlags: ["标记", "Flags"],
  overdue: ["超时", "OVERDUE"],
  escalated: ["已升级", "ESCALATED"],
  sixUnknowns: ["六不明", "SIX UNKNOWNS"],
  drill: ["演练", "DRILL"],
  none: ["—", "—"],
  left: ["剩 {t}", "{t} left"],
  late: ["超 {t}", "{t} late"],
  times: ["{n} 次", "×{n}"],
  view: ["案件详情", "Case"],
  close: ["关闭", "Close"],
  timeline: ["处置时间线", "Timeline"],
  sources: ["来源报告", "Source reports"],
  merges: ["合并与拆分", "Merges and splits"],
  mergedInto: ["并入", "merged into"],
  absorbed: ["并入本案", "absorbed"],
  splitInto: ["拆出", "split into"],
  noMerges: ["无", "none"],
  sealed: ["报告人信息已加密封存，本页不显示（需密钥时用 incidentbus trace --decrypt）", "Reporter details stay sealed and are not shown here (incidentbus trace --decrypt, with the keys)"],
  pending: ["待办时限", "pending"],
  when: ["时间", "When"],
  what: ["事件", "What"],
  who: ["执行方", "Who"],
  why: ["说明", "Why"],
  agency: ["部门", "Agency"],
  ref: ["原始编号", "Reference"],
  topic: ["主题", "Topic"],
  partition: ["分区", "Partition"],
  offset: ["偏移", "Offset"],
  rule: ["关联规则", "Rule"],
  loading: ["加载中…", "loading…"],
  notFound: ["未找到该案件", "no such case"],
  reports: ["报告数", "reports"],
};

const ENUMS = {
  status: {
    REPORTED: ["已上报", "reported"], DISPATCHED: ["已派遣", "dispatched"], ACKNOWLEDGED: ["已签收", "acknowledged"],
    ON_SCENE: ["已到场", "on scene"], RESOLVED: ["已处置", "resolved"], VERIFIED: ["已回访", "verified"],
    CLOSED: ["已结案", "closed"], MERGED: ["已合并", "merged"],
  },
  category: {
    PUBLIC_SAFETY: ["治安", "public safety"], TRAFFIC: ["交通", "traffic"], MEDICAL: ["医疗急救", "medical"],
    PUBLIC_HEALTH: ["公共卫生", "public health"], HAZARD: ["危险源", "hazard"],
    URBAN_MANAGEMENT: ["城市管理", "urban management"], COMMUNITY_AFFAIRS: ["社区事务", "community affairs"],
    UNKNOWN_OBJECT: ["不明物体", "unknown object"], UNKNOWN_SPECIES: ["不明物种", "unknown species"],
    UNKNOWN_GAS: ["不明气体", "unknown gas"], UNKNOWN_LIQUID: ["不明液体", "unknown liquid"],
    UNKNOWN_DISEASE: ["不明疾病", "unknown disease"], UNKNOWN_SIGN: ["不明标识", "unknown sign"],
  },
  level: {
    GRID: ["网格", "grid"], COMMUNITY: ["社区", "community"], STREET: ["街道", "street"],
    DISTRICT: ["区", "district"], CITY: ["市", "city"],
  },
  response: { I: ["Ⅰ级", "level I"], II: ["Ⅱ级", "level II"], III: ["Ⅲ级", "level III"], IV: ["Ⅳ级", "level IV"] },
  alert: {
    fast_path: ["快速通道：六不明", "fast path: six unknowns"],
    escalated: ["逾期升级", "escalated"],
    level_changed: ["响应级别变更", "response level changed"],
    resolved: ["已处置，警报解除", "resolved, alert cancelled"],
    closed: ["已结案，警报解除", "closed, alert cancelled"],
    merged: ["并案，警报转入本案", "merged into this case"],
    reopened: ["重新打开", "reopened"],
  },
  agency: { correlator: ["关联引擎", "correlator"], police: ["公安", "police"], health: ["卫健(120)", "health (120)"], urban: ["城管", "urban management"], community: ["社区网格", "community (grid)"] },
  deadline: { ACKNOWLEDGE: ["签收", "acknowledge"], ARRIVE: ["到场", "arrive"], RESOLVE: ["处置", "resolve"], VERIFY: ["回访", "verify"] },
  event: {
    case_opened: ["立案", "case opened"], report_linked: ["关联报告", "report linked"], task_assigned: ["派遣任务", "task assigned"],
    task_status_changed: ["任务状态", "task status"], case_escalated: ["逾期升级", "escalated"],
    response_level_changed: ["响应级别变更", "response level changed"], case_resolved: ["已处置", "resolved"],
    case_closed: ["结案", "closed"], case_reopened: ["重新打开", "reopened"], cases_merged: ["合并案件", "cases merged"],
    case_split: ["拆分案件", "case split"], verification_requested: ["请求回访", "verification requested"],
    case_verified: ["回访确认", "verified"], report_corrected: ["报告更正", "report corrected"], reminder_issued: ["催办", "reminder"],
  },
};

let current = localStorage.getItem("incidentbus.lang") === "en" ? 1 : 0;

export function lang() {
  return current === 0 ? "zh" : "en";
}

export function setLang(code) {
  current = code === "en" ? 1 : 0;
  localStorage.setItem("incidentbus.lang", lang());
  document.documentElement.lang = current === 0 ? "zh-CN" : "en";
}

export function t(key, vars = {}) {
  const pair = LABELS[key];
  let text = pair ? pair[current] : key;
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, String(value));
  return text;
}

// The label of a bus code in a table (an unknown code is shown as it came).
export function tEnum(table, code) {
  const pair = ENUMS[table] && ENUMS[table][code];
  return pair ? pair[current] : code || t("none");
}

export function enumCodes(table) {
  return Object.keys(ENUMS[table] || {});
}

// Every element with data-i18n gets its label; data-i18n-attr="aria-label" puts it in an attribute.
export function applyLabels(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const attr = el.dataset.i18nAttr;
    if (attr) el.setAttribute(attr, t(el.dataset.i18n));
    else el.textContent = t(el.dataset.i18n);
  }
}
