"""What the demo company is made of: its dates, sheets and vocabulary (cities, names, products,
staff, survey items), and the data-quality problems planted in it (with their Excel rows: row 1
is the header)."""

from __future__ import annotations

import datetime as dt

DEMO_SEED = 20261031
DEMO_AS_OF = dt.date(2026, 10, 31)
WINDOW_START = dt.date(2025, 5, 1)
COMPANY_NAME = "Northwind Industrial Supply"

SHEET_ORDER = ("Customers", "Transactions", "Contacts", "Complaints", "Survey", "Scorecard",
               "Distribution", "Settings")

N_CUSTOMER_ROWS = 2000
N_SURVEY = 1500
PERIODS = tuple(f"{y}-{m:02d}" for y, m in
                [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)])

# --------------------------------------------------------------------------------------------
# Planted data-quality problems (Excel rows: row 1 is the header, row 2 the first data row).
# --------------------------------------------------------------------------------------------

#: Pairs of Customers rows the duplicate checker must flag: (kind, excel_row_a, excel_row_b).
PLANTED_DUPLICATES = (
    ("same customer_id", 313, 1489),
    ("same name + same email", 149, 1210),
    ("same name + same phone (Chinese, full-width)", 640, 1733),
    ("same name + same phone", 904, 905),
)
#: Two different companies whose names normalise the same but share neither e-mail nor phone.
NEAR_MISS = (420, 1601)

#: Survey answers planted as messy: respondent_id -> (column, value written; None = blank).
MESSY_SURVEY = {
    "R00017": ("nps", None),
    "R00244": ("nps", None),
    "R00581": ("nps", None),
    "R00902": ("nps", None),
    "R01333": ("nps", None),
    "R00063": ("nps", "N/A"),
    "R00418": ("nps", "don't know"),
    "R00777": ("overall", "N/A"),
    "R01205": ("nps", "不清楚"),
    "R00350": ("nps", 11),
    "R01111": ("overall", 6),
}

#: The scorecard KPI whose latest actual (and 2026-10 column) is left blank.
MISSING_KPI = "Share of wallet"

# Planted customers: 0-based data-row index -> record (the rest of the fields are generated).
_PLANTED = {
    311: dict(name="Redwood Logistics Ltd", city="Shanghai", industry="Logistics",
              email="purchasing@redwood-logistics.example.com", phone="+86 21 5561 0312"),
    # 1487: the copy-pasted row of 311 (same customer_id, name misspelt), built from row 311.
    147: dict(name="Huaxin Trading Co., Ltd.", city="Shanghai", industry="Wholesale",
              email="purchasing@huaxin-trading.example.com", phone="+86 21 5561 2301"),
    1208: dict(name="HUAXIN TRADING LIMITED", city="Shanghai", industry="Wholesale",
               email="Purchasing@Huaxin-Trading.example.com", phone="021-5561-2388"),
    638: dict(name="深圳市前海（ＡＩ）科技有限公司", city="Shenzhen", industry="Electronics",
              email="caigou@qianhai-ai.example.cn", phone="+86 755 1234 5678"),
    1731: dict(name="深圳市前海AI科技", city="Shenzhen", industry="Electronics",
               email="info@qhai-tech.example.cn", phone="0755-1234-5678"),
    902: dict(name="Pinecrest Packaging Inc.", city="Suzhou", industry="Manufacturing",
              email="orders@pinecrest-packaging.example.com", phone="0512-5562-7788"),
    903: dict(name="Pine-Crest Packaging, Inc", city="Suzhou", industry="Manufacturing",
              email="j.miller@pinecrestpack.example.com", phone="(0512) 5562 7788"),
    418: dict(name="Summit Partners Ltd", city="Beijing", industry="Wholesale",
              email="info@summit-partners.example.com", phone="+86 10 5563 0101"),
    1599: dict(name="Summit Partners Co.", city="Guangzhou", industry="Logistics",
               email="procurement@summitpartners-gz.example.com", phone="020-5563-0202"),
}
_COPY_ROW, _COPY_OF = 1487, 311
_COPY_NAME = "Redwood Logisitcs Ltd"

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

# city, Chinese name, pinyin, region, phone area code, weight
_CITIES = (
    ("Beijing", "北京", "beijing", "North", "10", 9),
    ("Tianjin", "天津", "tianjin", "North", "22", 4),
    ("Qingdao", "青岛", "qingdao", "North", "532", 3),
    ("Shenyang", "沈阳", "shenyang", "North", "24", 3),
    ("Dalian", "大连", "dalian", "North", "411", 3),
    ("Shanghai", "上海", "shanghai", "East", "21", 10),
    ("Hangzhou", "杭州", "hangzhou", "East", "571", 4),
    ("Nanjing", "南京", "nanjing", "East", "25", 3),
    ("Suzhou", "苏州", "suzhou", "East", "512", 4),
    ("Ningbo", "宁波", "ningbo", "East", "574", 3),
    ("Guangzhou", "广州", "guangzhou", "South", "20", 7),
    ("Shenzhen", "深圳", "shenzhen", "South", "755", 8),
    ("Xiamen", "厦门", "xiamen", "South", "592", 3),
    ("Dongguan", "东莞", "dongguan", "South", "769", 4),
    ("Chengdu", "成都", "chengdu", "West", "28", 7),
    ("Chongqing", "重庆", "chongqing", "West", "23", 6),
    ("Xi'an", "西安", "xian", "West", "29", 4),
    ("Kunming", "昆明", "kunming", "West", "871", 3),
)
_CITY_INDEX = {c[0]: i for i, c in enumerate(_CITIES)}
REGIONS = ("North", "East", "South", "West")

INDUSTRIES = ("Manufacturing", "Logistics", "Construction", "Wholesale", "Energy", "Healthcare",
              "Electronics", "Food & Beverage", "Automotive")
_INDUSTRY_WEIGHTS = (22, 12, 11, 13, 7, 6, 13, 8, 8)

_EN_PREFIXES = (
    "Atlas", "Beacon", "Bluewater", "Brightline", "Cedar", "Cobalt", "Crescent", "Crestview",
    "Delta", "Eastgate", "Evergreen", "Falcon", "Fairway", "Frontier", "Galaxy", "Granite",
    "Harbor", "Highland", "Horizon", "Ironbridge", "Jade", "Keystone", "Lakeside", "Lighthouse",
    "Meridian", "Maple", "Nova", "Oakridge", "Orchid", "Pacific", "Paragon", "Phoenix", "Pioneer",
    "Quantum", "Riverside", "Sapphire", "Silverline", "Skyline", "Southbay", "Sterling",
    "Sunrise", "Tidewater", "Trident", "Unity", "Vanguard", "Vertex", "Westbrook", "Willow",
    "Zenith", "Apex", "Anchor", "Bamboo", "Canyon", "Coastal", "Dragon Gate", "Emerald",
    "Golden River", "Great Wall", "Jasper", "Lotus", "Magnolia", "Mountain View", "Northstar",
    "Orient", "Pearl River", "Red Lantern", "Silk Road", "Stonebridge", "Sunflower", "Yangtze",
    "Yellow River", "Blue Sky", "Kingfisher", "Lionheart", "Oriental Star",
)
_EN_CORES = {
    "Manufacturing": ("Manufacturing", "Precision Works", "Machinery", "Metalworks",
                      "Industries", "Tooling", "Fabrication"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Supply Chain", "Warehousing", "Transport"),
    "Construction": ("Construction", "Builders", "Engineering", "Infrastructure",
                     "Building Materials"),
    "Wholesale": ("Trading", "Distribution", "Wholesale", "Imports", "Supplies"),
    "Energy": ("Energy", "Power", "Solar", "Utilities", "Petroleum"),
    "Healthcare": ("Medical", "Healthcare", "Pharma", "Biotech", "Labs"),
    "Electronics": ("Electronics", "Technologies", "Semiconductor", "Systems", "Devices"),
    "Food & Beverage": ("Foods", "Beverages", "Dairy", "Agri Products", "Cold Chain"),
    "Automotive": ("Automotive", "Auto Parts", "Motors", "Vehicle Components"),
}
_EN_SUFFIXES = ("Ltd", "Co., Ltd.", "Inc.", "Corp.", "Limited", "LLC", "Co.", "Company", "Group")
_EN_SUFFIX_WEIGHTS = (24, 22, 12, 9, 12, 5, 6, 4, 6)

_ZH_BRANDS = (
    ("华信", "huaxin"), ("宏达", "hongda"), ("鑫源", "xinyuan"), ("恒通", "hengtong"),
    ("金泰", "jintai"), ("瑞丰", "ruifeng"), ("永盛", "yongsheng"), ("天成", "tiancheng"),
    ("博远", "boyuan"), ("中联", "zhonglian"), ("新科", "xinke"), ("东方", "dongfang"),
    ("嘉禾", "jiahe"), ("合力", "heli"), ("昌盛", "changsheng"), ("万通", "wantong"),
    ("联创", "lianchuang"), ("富达", "fuda"), ("明德", "mingde"), ("鼎新", "dingxin"),
    ("德润", "derun"), ("安捷", "anjie"), ("辰光", "chenguang"), ("海纳", "haina"),
    ("卓越", "zhuoyue"), ("蓝海", "lanhai"), ("远航", "yuanhang"), ("华美", "huamei"),
    ("金鹏", "jinpeng"), ("泰和", "taihe"), ("同创", "tongchuang"), ("智远", "zhiyuan"),
    ("恒信", "hengxin"), ("众成", "zhongcheng"), ("普瑞", "purui"), ("祥和", "xianghe"),
    ("润发", "runfa"), ("广源", "guangyuan"), ("盛达", "shengda"), ("凯瑞", "kairui"),
)
_ZH_WORDS = {
    "Manufacturing": (("机械制造", "jixie"), ("精密机械", "jingmi"), ("五金制品", "wujin")),
    "Logistics": (("物流", "wuliu"), ("供应链管理", "gongyinglian"), ("货运代理", "huoyun")),
    "Construction": (("建筑工程", "jianzhu"), ("建材", "jiancai")),
    "Wholesale": (("贸易", "maoyi"), ("商贸", "shangmao"), ("进出口", "jinchukou")),
    "Energy": (("能源", "nengyuan"), ("新能源", "xinnengyuan"), ("电力设备", "dianli")),
    "Healthcare": (("医疗器械", "yiliao"), ("医药", "yiyao")),
    "Electronics": (("电子", "dianzi"), ("科技", "keji"), ("电子科技", "dianzikeji")),
    "Food & Beverage": (("食品", "shipin"), ("饮料", "yinliao")),
    "Automotive": (("汽车零部件", "qiche"), ("汽车配件", "qipei")),
}
_ZH_SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司")
_ZH_SUFFIX_WEIGHTS = (70, 15, 15)

_EMAIL_LOCAL_EN = ("purchasing", "procurement", "orders", "info", "accounts", "buyer", "supply")
_EMAIL_LOCAL_ZH = ("caigou", "sales", "info", "purchasing", "contact", "office")

SEGMENTS = ("Enterprise", "Mid-market", "SMB")
CREDIT_LEVELS = ("AAA", "AA", "A", "BBB", "BB")
SIZES = ("1-49", "50-249", "250-999", "1000+")

ACCOUNT_MANAGERS = {
    "North": ("Michael Zhao", "Emma Sun", "李娜", "David Gao", "Helen Ma", "Peter Han"),
    "East": ("Kevin Zhang", "Grace Liu", "王强", "Sarah Chen", "Tom Xu", "Amy Zhou",
             "Jason Wu"),
    "South": ("Eric Huang", "Linda Lin", "陈晓明", "Jack He", "Vivian Luo", "Ryan Zheng"),
    "West": ("Frank Yang", "Cindy Tang", "刘芳", "Leo Deng", "Iris Feng", "Simon Jiang"),
}
SPECIALISTS = ("Daniel Qian", "Sophie Guo", "Mark Liang", "赵磊", "Nina Shi")

# product, share of lines, price factor, base margin rate
PRODUCTS = (
    ("Industrial fasteners", 14, 0.5, 0.32), ("Bearings & seals", 10, 0.9, 0.28),
    ("Hydraulic components", 8, 1.6, 0.25), ("Pneumatic valves", 7, 1.3, 0.27),
    ("Electrical cables", 9, 1.2, 0.18), ("Power tools", 8, 1.0, 0.22),
    ("Cutting tools", 8, 0.7, 0.35), ("Safety equipment", 10, 0.6, 0.30),
    ("Lubricants", 9, 0.5, 0.24), ("Packaging materials", 7, 0.4, 0.15),
    ("Welding supplies", 5, 0.8, 0.26), ("Maintenance service", 5, 1.8, 0.40),
)
TX_CHANNELS = ("Direct", "Distributor", "Online", "Phone")
PAYMENT_METHODS = ("Bank transfer", "Letter of credit", "Credit card", "30-day terms")
CONTACT_CHANNELS = ("Visit", "Phone", "Email", "WeChat", "Meeting")
CONTACT_SUBJECTS = (
    "Quarterly business review", "Price negotiation", "Order follow-up", "Delivery query",
    "Technical support", "New product introduction", "Contract renewal", "Complaint follow-up",
    "Payment reminder", "Relationship visit",
)
CONTACT_OUTCOMES = ("Order placed", "Quote sent", "Follow-up scheduled", "Issue resolved",
                    "Information provided", "No decision", "Escalated")
COMPLAINT_CATEGORIES = ("Delivery", "Quality", "Billing", "Service", "Product")
SEVERITIES = ("Low", "Medium", "High", "Critical")

SERVQUAL = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
KANO_FEATURES = ("online_portal", "same_day_delivery", "dedicated_manager", "invoice_api",
                 "carbon_report", "training")
# Kano category mix per feature: M, O, A, I, R, Q (the intended dominant category first in
# the comments): online_portal must-be, same_day_delivery attractive, dedicated_manager
# one-dimensional, invoice_api attractive, carbon_report indifferent, training must-be.
_KANO_MIX = {
    "online_portal": (0.50, 0.15, 0.08, 0.22, 0.02, 0.03),
    "same_day_delivery": (0.08, 0.20, 0.45, 0.22, 0.02, 0.03),
    "dedicated_manager": (0.20, 0.46, 0.12, 0.17, 0.02, 0.03),
    "invoice_api": (0.12, 0.10, 0.40, 0.33, 0.02, 0.03),
    "carbon_report": (0.05, 0.05, 0.22, 0.55, 0.08, 0.05),
    "training": (0.40, 0.18, 0.12, 0.25, 0.02, 0.03),
}
