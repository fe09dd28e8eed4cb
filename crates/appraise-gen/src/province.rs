//! The province: its departments (province, city and county bureaus) and the resource
//! catalog they share.

use super::*;

/// One generated department.
pub(crate) struct Dept {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) name_en: String,
    pub(crate) level: &'static str,
    pub(crate) parent: Option<String>,
    pub(crate) region: String,
    /// Relative weight as a data provider (heavy-tailed).
    pub(crate) share: f64,
    /// Median response time in milliseconds.
    pub(crate) median_ms: f64,
    /// Chance that an exchange it serves fails.
    pub(crate) fail_rate: f64,
    /// Median working days to decide a share request.
    pub(crate) decision_days: f64,
    /// Chance that a service case uses an online channel.
    pub(crate) online: f64,
    /// Chance that a catalog resource is kept up to date.
    pub(crate) diligence: f64,
}

impl Dept {
    pub(crate) fn row(&self) -> Row {
        vec![
            Val::Owned(self.id.clone()),
            Val::Owned(self.name.clone()),
            Val::Owned(self.name_en.clone()),
            Val::Str(self.level),
            self.parent.clone().map_or(Val::Null, Val::Owned),
            Val::Owned(self.region.clone()),
            Val::Str(self.level),
        ]
    }
}

pub(crate) struct Resource {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) shareable: bool,
    pub(crate) row: Row,
}

pub(crate) const PROVINCE_BUREAUS: &[(&str, &str, &str)] = &[
    ("GA", "公安厅", "Department of Public Security"),
    ("MZ", "民政厅", "Department of Civil Affairs"),
    (
        "RS",
        "人力资源和社会保障厅",
        "Department of Human Resources and Social Security",
    ),
    ("ZR", "自然资源厅", "Department of Natural Resources"),
    ("HB", "生态环境厅", "Department of Ecology and Environment"),
    (
        "ZJ",
        "住房和城乡建设厅",
        "Department of Housing and Urban-Rural Development",
    ),
    ("JT", "交通运输厅", "Department of Transport"),
    (
        "NY",
        "农业农村厅",
        "Department of Agriculture and Rural Affairs",
    ),
    ("SW", "商务厅", "Department of Commerce"),
    ("WJ", "卫生健康委员会", "Health Commission"),
    (
        "SJ",
        "市场监督管理局",
        "Administration for Market Regulation",
    ),
    ("JY", "教育厅", "Department of Education"),
    ("KJ", "科学技术厅", "Department of Science and Technology"),
    ("CZ", "财政厅", "Department of Finance"),
    ("SF", "司法厅", "Department of Justice"),
    ("WL", "文化和旅游厅", "Department of Culture and Tourism"),
    ("YJ", "应急管理厅", "Department of Emergency Management"),
    ("YB", "医疗保障局", "Healthcare Security Administration"),
    ("TJ", "统计局", "Bureau of Statistics"),
    ("SL", "水利厅", "Department of Water Resources"),
    (
        "FG",
        "发展和改革委员会",
        "Development and Reform Commission",
    ),
    (
        "GX",
        "工业和信息化厅",
        "Department of Industry and Information Technology",
    ),
    ("TY", "退役军人事务厅", "Department of Veterans Affairs"),
    ("ZW", "政务服务管理办公室", "Government Services Office"),
    ("DS", "大数据管理中心", "Big Data Management Centre"),
    ("GJ", "住房公积金管理中心", "Housing Provident Fund Centre"),
];

pub(crate) const CITIES: &[(&str, &str, &str)] = &[
    ("320100", "南京市", "Nanjing"),
    ("320200", "无锡市", "Wuxi"),
    ("320300", "徐州市", "Xuzhou"),
    ("320400", "常州市", "Changzhou"),
    ("320500", "苏州市", "Suzhou"),
    ("320600", "南通市", "Nantong"),
    ("320700", "连云港市", "Lianyungang"),
    ("320800", "淮安市", "Huai'an"),
    ("320900", "盐城市", "Yancheng"),
    ("321000", "扬州市", "Yangzhou"),
    ("321100", "镇江市", "Zhenjiang"),
    ("321200", "泰州市", "Taizhou"),
    ("321300", "宿迁市", "Suqian"),
];

pub(crate) const CITY_BUREAUS: &[(&str, &str, &str)] = &[
    ("SJJ", "数据局", "Data Bureau"),
    ("GA", "公安局", "Public Security Bureau"),
    (
        "RS",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("SJ", "市场监督管理局", "Market Regulation Bureau"),
    ("WJ", "卫生健康委员会", "Health Commission"),
    (
        "ZR",
        "自然资源和规划局",
        "Natural Resources and Planning Bureau",
    ),
    ("SP", "行政审批局", "Administrative Approval Bureau"),
];

/// (city index, region code, Chinese name, English name)
pub(crate) const COUNTIES: &[(usize, &str, &str, &str)] = &[
    (0, "320115", "江宁区", "Jiangning District"),
    (0, "320111", "浦口区", "Pukou District"),
    (1, "320281", "江阴市", "Jiangyin"),
    (1, "320282", "宜兴市", "Yixing"),
    (2, "320321", "丰县", "Feng County"),
    (2, "320322", "沛县", "Pei County"),
    (3, "320481", "溧阳市", "Liyang"),
    (4, "320581", "常熟市", "Changshu"),
    (4, "320582", "张家港市", "Zhangjiagang"),
    (4, "320583", "昆山市", "Kunshan"),
    (4, "320585", "太仓市", "Taicang"),
    (5, "320685", "海安市", "Hai'an"),
    (5, "320682", "如皋市", "Rugao"),
    (5, "320681", "启东市", "Qidong"),
    (6, "320722", "东海县", "Donghai County"),
    (6, "320723", "灌云县", "Guanyun County"),
    (7, "320826", "涟水县", "Lianshui County"),
    (7, "320830", "盱眙县", "Xuyi County"),
    (8, "320981", "东台市", "Dongtai"),
    (8, "320925", "建湖县", "Jianhu County"),
    (9, "321081", "仪征市", "Yizheng"),
    (9, "321084", "高邮市", "Gaoyou"),
    (10, "321181", "丹阳市", "Danyang"),
    (10, "321183", "句容市", "Jurong"),
    (11, "321281", "兴化市", "Xinghua"),
    (11, "321282", "靖江市", "Jingjiang"),
    (12, "321322", "沭阳县", "Shuyang County"),
    (12, "321323", "泗阳县", "Siyang County"),
];

pub(crate) const COUNTY_BUREAUS: &[(&str, &str, &str)] = &[
    ("SP", "行政审批局", "Administrative Approval Bureau"),
    ("GA", "公安分局", "Public Security Sub-bureau"),
    (
        "RS",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("SJ", "市场监督管理局", "Market Regulation Bureau"),
];

pub(crate) const RESOURCE_TOPICS: &[&str] = &[
    "户籍人口信息",
    "企业登记信息",
    "社保缴纳记录",
    "不动产登记信息",
    "医疗机构名录",
    "道路运输许可",
    "行政处罚信息",
    "学籍信息",
    "婚姻登记信息",
    "残疾人证信息",
    "环境监测数据",
    "公积金缴存信息",
    "营业执照信息",
    "出生医学证明",
    "低保救助信息",
];

/// A resource's description, format, keywords, share condition and licence: each
/// filled in more often the more diligent its department, a required one sometimes
/// left out, and now and then a format no catalog recognises.
pub(crate) fn metadata(
    rng: &mut ChaCha8Rng,
    diligence: f64,
    title: &str,
    topic: &str,
    share_type: &str,
    open_type: &str,
) -> [Val<'static>; 5] {
    let mut filled = |base: f64| rng.random_bool((base + (1.0 - base) * diligence).min(1.0));
    let description = filled(0.5).then(|| Val::Owned(format!("{title}，按目录登记的周期更新")));
    let keywords = filled(0.4).then(|| Val::Owned(topic.trim_end_matches("信息").to_string()));
    let format = filled(0.6).then_some(());
    let condition = (share_type != "unconditional" && filled(0.5)).then(|| {
        Val::Str(if share_type == "none" {
            "依据有关法律法规不予共享"
        } else {
            "仅限政务服务使用"
        })
    });
    let licence = (open_type != "closed" && filled(0.3)).then_some(Val::Str("开放数据许可协议"));
    let format = format.map(|()| {
        Val::Str(pick(
            rng,
            &[
                ("csv", 0.25),
                ("xlsx", 0.2),
                ("api", 0.25),
                ("database", 0.15),
                ("json", 0.08),
                ("pdf", 0.04),
                ("电子表格", 0.03),
            ],
        ))
    });
    [description, format, keywords, condition, licence].map(|v| v.unwrap_or(Val::Null))
}

/// The cycle allowances of DESIGN.md's `catalog_timeliness`, in days.
pub(crate) fn cycle_allowance_days(cycle: &str) -> Option<i64> {
    match cycle {
        "realtime" => Some(1),
        "daily" => Some(2),
        "weekly" => Some(8),
        "monthly" => Some(32),
        "quarterly" => Some(93),
        "yearly" => Some(367),
        _ => None,
    }
}

pub(crate) fn suffixed(id: String, round: usize) -> String {
    if round == 0 {
        id
    } else {
        format!("{id}{}", round + 1)
    }
}

pub(crate) fn round_zh(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!("（{}）", round + 1)
    }
}

pub(crate) fn round_en(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!(" ({})", round + 1)
    }
}

impl<'o> Gen<'o> {
    pub(crate) fn departments(&mut self) -> Vec<Dept> {
        let n = self.opts.departments;
        let n_province = (n * 3 / 10).max(1);
        let n_city = (n * 4 / 10).max(1);
        let n_county = n - n_province - n_city;
        let share = LogNormal::new(0.0, 1.3).expect("valid parameters");
        let mut out = Vec::with_capacity(n);
        let mut push =
            |g: &mut Self, id: String, name: String, en: String, level, parent, region| {
                let rng = &mut g.rng;
                out.push(Dept {
                    id,
                    name,
                    name_en: en,
                    level,
                    parent,
                    region,
                    share: share.sample(rng),
                    median_ms: LogNormal::new(6.5, 0.7).expect("valid").sample(rng),
                    fail_rate: rng.random_range(0.002..0.08),
                    decision_days: rng.random_range(0.8..9.0),
                    online: rng.random_range(0.35..0.95),
                    diligence: rng.random_range(0.3..0.98),
                });
            };
        for i in 0..n_province {
            let (code, zh, en) = PROVINCE_BUREAUS[i % PROVINCE_BUREAUS.len()];
            let round = i / PROVINCE_BUREAUS.len();
            let id = suffixed(format!("320000-{code}"), round);
            let name = format!("省{zh}{}", round_zh(round));
            let en = format!("Provincial {en}{}", round_en(round));
            push(self, id, name, en, "province", None, "320000".into());
        }
        let mut city_ids = vec![None; CITIES.len()];
        for i in 0..n_city {
            let c = i % CITIES.len();
            let b = i / CITIES.len();
            let (code, zh, en) = CITY_BUREAUS[b % CITY_BUREAUS.len()];
            let round = b / CITY_BUREAUS.len();
            let (region, city_zh, city_en) = CITIES[c];
            let id = suffixed(format!("{region}-{code}"), round);
            city_ids[c].get_or_insert_with(|| id.clone());
            let name = format!("{city_zh}{zh}{}", round_zh(round));
            let en = format!("{city_en} {en}{}", round_en(round));
            push(self, id, name, en, "city", None, region.into());
        }
        for i in 0..n_county {
            let k = i % COUNTIES.len();
            let b = i / COUNTIES.len();
            let (city, region, zh, en_place) = COUNTIES[k];
            let (code, bz, be) = COUNTY_BUREAUS[b % COUNTY_BUREAUS.len()];
            let round = b / COUNTY_BUREAUS.len();
            let id = suffixed(format!("{region}-{code}"), round);
            let parent = city_ids[city].clone().or_else(|| city_ids[0].clone());
            let name = format!("{zh}{bz}{}", round_zh(round));
            let en = format!("{en_place} {be}{}", round_en(round));
            push(self, id, name, en, "county", parent, region.into());
        }
        out
    }

    pub(crate) fn catalog(&mut self, depts: &[Dept]) -> Vec<Resource> {
        // Long: each resource's fields drawn in turn from the one random stream
        // (reordering them would change every file).
        let mut out = Vec::new();
        // The metadata columns come from a generator of their own, so that the rows of
        // every table are those the seed gave before they existed.
        let mut meta = ChaCha8Rng::seed_from_u64(self.opts.seed ^ 0x6d65_7461_6461_7461);
        let registered_from = self.start_us - 3 * 365 * DAY_US;
        for (d_ix, d) in depts.iter().enumerate() {
            let n = 2 + (d.share * 4.0).round().min(20.0) as usize + self.rng.random_range(0..3);
            for k in 0..n {
                let id = format!("R-{}-{:03}", d.id, k + 1);
                let open = 0.2 + 0.6 * d.diligence;
                let share_type = pick(
                    &mut self.rng,
                    &[
                        ("unconditional", open),
                        ("conditional", 0.8 - open * 0.5),
                        ("none", 0.25),
                    ],
                );
                let open_type = pick(
                    &mut self.rng,
                    &[("open", 0.3), ("conditional", 0.3), ("closed", 0.4)],
                );
                let cycle = pick(
                    &mut self.rng,
                    &[
                        ("realtime", 0.1),
                        ("daily", 0.25),
                        ("weekly", 0.15),
                        ("monthly", 0.25),
                        ("quarterly", 0.1),
                        ("yearly", 0.05),
                        ("irregular", 0.1),
                    ],
                );
                // A few resources are registered during the data's span.
                let registered = if self.rng.random_bool(0.85) {
                    self.rng.random_range(registered_from..self.start_us)
                } else {
                    self.rng.random_range(self.start_us..self.end_us)
                };
                let allowance = cycle_allowance_days(cycle).unwrap_or(60) * DAY_US;
                let updated = if self.rng.random_bool(0.1) {
                    None
                } else if self.rng.random_bool(d.diligence) {
                    // Kept up to date as of the end of the data.
                    Some(
                        (self.end_us - self.rng.random_range(DAY_US / 4..allowance))
                            .max(registered),
                    )
                } else {
                    Some(
                        self.rng
                            .random_range(registered..=registered.max(self.end_us - allowance * 2)),
                    )
                };
                let topic = RESOURCE_TOPICS[self.rng.random_range(0..RESOURCE_TOPICS.len())];
                let title = format!("{}{}", d.name, topic);
                let metadata =
                    metadata(&mut meta, d.diligence, &title, topic, share_type, open_type);
                let mut row = vec![
                    Val::Owned(id.clone()),
                    Val::Owned(d.id.clone()),
                    Val::Owned(title),
                    Val::Str(share_type),
                    Val::Str(open_type),
                    Val::Str(cycle),
                    ts(registered),
                    updated.map_or(Val::Null, ts),
                ];
                row.extend(metadata);
                out.push(Resource {
                    id,
                    owner: d_ix,
                    shareable: share_type != "none",
                    row,
                });
            }
        }
        out
    }
}
