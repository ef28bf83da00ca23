"""Word lists and the product catalogue the sample data is built from.

Plain tuples so that generation picks with one multiply-and-index (no ``random.choice``
overhead at millions of rows).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Chinese companies and people -------------------------------------------------------
CN_CITIES = (
    ("北京", "010", "Asia/Shanghai", "CN-North"), ("上海", "021", "Asia/Shanghai", "CN-East"),
    ("广州", "020", "Asia/Shanghai", "CN-South"), ("深圳", "0755", "Asia/Shanghai", "CN-South"),
    ("杭州", "0571", "Asia/Shanghai", "CN-East"), ("南京", "025", "Asia/Shanghai", "CN-East"),
    ("成都", "028", "Asia/Shanghai", "CN-West"), ("武汉", "027", "Asia/Shanghai", "CN-Central"),
    ("西安", "029", "Asia/Shanghai", "CN-West"), ("天津", "022", "Asia/Shanghai", "CN-North"),
    ("重庆", "023", "Asia/Shanghai", "CN-West"), ("苏州", "0512", "Asia/Shanghai", "CN-East"),
    ("沈阳", "024", "Asia/Shanghai", "CN-North"), ("长沙", "0731", "Asia/Shanghai", "CN-Central"),
    ("郑州", "0371", "Asia/Shanghai", "CN-Central"), ("青岛", "0532", "Asia/Shanghai", "CN-North"),
)
CN_BRANDS = (
    "华信", "恒通", "瑞康", "中联", "东方", "金桥", "新锐", "嘉禾", "宏远", "博雅", "天成", "汇丰",
    "安泰", "联创", "明德", "永盛", "百川", "鼎盛", "泰和", "长青", "海纳", "启明", "云帆", "同济",
    "福瑞", "诚信", "华康", "中科", "星辰", "锦程",
)
CN_BRANDS_PINYIN = (
    "huaxin", "hengtong", "ruikang", "zhonglian", "dongfang", "jinqiao", "xinrui", "jiahe",
    "hongyuan", "boya", "tiancheng", "huifeng", "antai", "lianchuang", "mingde", "yongsheng",
    "baichuan", "dingsheng", "taihe", "changqing", "haina", "qiming", "yunfan", "tongji", "furui",
    "chengxin", "huakang", "zhongke", "xingchen", "jincheng",
)
CN_INDUSTRIES = (
    "医疗", "制药", "物流", "贸易", "机械", "电子", "食品", "建设", "能源", "教育", "餐饮",
    "纺织", "化工", "汽车配件", "软件", "零售", "地产", "印刷", "环保", "农业",
)
CN_SUFFIXES = ("有限公司", "科技有限公司", "股份有限公司", "集团有限公司", "实业有限公司")
CN_HOSPITAL_NAMES = ("人民医院", "中医院", "妇幼保健院", "第一医院", "第二人民医院", "中心医院")
CN_SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
)
CN_SURNAMES_PINYIN = (
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
    "ma", "zhu", "hu", "guo", "he", "lin", "luo", "gao", "zheng", "liang", "xie", "song", "tang",
    "xu", "han", "feng", "deng", "cao",
)
CN_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"),
    ("晓东", "xiaodong"), ("海燕", "haiyan"), ("志强", "zhiqiang"), ("雪梅", "xuemei"),
    ("文博", "wenbo"), ("子涵", "zihan"), ("浩然", "haoran"),
)
CN_TITLES = ("信息中心主任", "IT工程师", "财务经理", "系统管理员", "会计", "仓库主管", "药剂科主任",
             "护士长", "运维工程师", "采购经理")
CN_MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "186", "188", "158", "177", "199")
CN_DOMAINS_TLD = (".cn", ".com.cn", ".com")

# --- English-speaking companies and people ----------------------------------------------
EN_PLACES = (
    # (city, dialling prefix, time zone, region, country); prefixes take 8 subscriber digits,
    # except NANP (+1), which takes a 3-digit exchange and a 4-digit line.
    ("London", "+44 20", "Europe/London", "UK", "GB"),
    ("New York", "+1 212", "America/New_York", "US-East", "US"),
    ("Boston", "+1 617", "America/New_York", "US-East", "US"),
    ("Chicago", "+1 312", "America/Chicago", "US-Central", "US"),
    ("Seattle", "+1 206", "America/Los_Angeles", "US-West", "US"),
    ("Singapore", "+65", "Asia/Singapore", "SG", "SG"),
    ("Sydney", "+61 2", "Australia/Sydney", "AU", "AU"),
    ("Hong Kong", "+852", "Asia/Hong_Kong", "HK", "HK"),
)
#: A second NANP area code per city, so 10 million numbers stay distinct.
NANP_OVERLAY = {"+1 212": "+1 646", "+1 617": "+1 857", "+1 312": "+1 773", "+1 206": "+1 425"}
EN_BRANDS = (
    "Northwind", "Bluefield", "Harbor", "Redwood", "Summit", "Crescent", "Ironbridge", "Oakridge",
    "Silverline", "Westbrook", "Pinecrest", "Greystone", "Brightwater", "Highgate", "Kingsway",
    "Lakeside", "Maple", "Riverside", "Stonewall", "Evergreen", "Falcon", "Meridian", "Ashford",
    "Clearview", "Fairmont",
)
EN_INDUSTRIES = (
    "Health", "Logistics", "Foods", "Engineering", "Retail", "Pharma", "Components", "Energy",
    "Education", "Clinics", "Trading", "Manufacturing", "Labs", "Motors", "Textiles",
)
EN_SUFFIXES = ("Ltd", "Inc.", "LLC", "Group", "plc", "Pte Ltd", "Co.")
EN_FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Susan", "Richard", "Jessica", "Thomas", "Sarah", "Daniel", "Karen",
    "Oliver", "Emily", "Harry", "Sophie", "George", "Amelia", "Priya", "Arjun", "Wei", "Mei",
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Patel", "Tan",
)
EN_TITLES = ("IT Manager", "Finance Director", "System Administrator", "Accountant",
             "Operations Lead", "Head of Pharmacy", "Warehouse Supervisor", "Practice Manager",
             "Service Desk Analyst", "Controller")

CUSTOMER_NOTES_ZH = (
    "只在工作日下午14:00后接受远程协助。", "财务月结期间（每月最后三天）优先处理。",
    "IT负责人更换，新联系人见联系人列表。", "对响应速度敏感，请尽快回复。",
    "服务器在内网，需先开VPN。", "续约谈判中，注意服务质量。",
)
CUSTOMER_NOTES_EN = (
    "Remote sessions only after 2 pm local time.", "Month-end close: prioritise finance issues.",
    "New IT contact since last quarter; see contact persons.", "Sensitive about response times.",
    "Servers behind VPN; ask for access first.", "Renewal under negotiation.",
)


# --- Product catalogue --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProductSpec:
    code: str
    name: str
    description: str
    modules: tuple[tuple[str, str], ...]
    versions: tuple[str, ...]  # oldest first
    #: How likely a customer runs it (relative weight); hospitals pick HIS.
    weight: int


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("ERP", "Huaxin ERP", "Enterprise resource planning for manufacturers and traders.",
                (("GL", "General Ledger"), ("AP", "Accounts Payable"), ("AR", "Accounts Receivable"),
                 ("INV", "Inventory"), ("PUR", "Purchasing"), ("SAL", "Sales Orders"),
                 ("MFG", "Manufacturing"), ("PAY", "Payroll")),
                ("7.5", "8.0", "8.1", "8.2", "9.0", "9.1"), 40),
    ProductSpec("FIN", "LedgerPro Finance Suite", "Accounting, consolidation, budgeting and tax.",
                (("GL", "General Ledger"), ("CONS", "Consolidation"), ("BUD", "Budgeting"),
                 ("TAX", "Tax & e-Invoice"), ("FA", "Fixed Assets"), ("EXP", "Expense Claims")),
                ("2021.4", "2022.2", "2023.1", "2023.3", "2024.1", "2024.2"), 30),
    ProductSpec("HIS", "MediCare HIS", "Hospital information system.",
                (("OPD", "Outpatient"), ("IPD", "Inpatient"), ("PHM", "Pharmacy"), ("LIS", "Laboratory"),
                 ("PACS", "Radiology / PACS"), ("EMR", "Electronic Medical Record"), ("BIL", "Billing")),
                ("5.2", "5.3", "6.0", "6.1", "6.2"), 15),
    ProductSpec("CRM", "Connect CRM", "Customer relationship management.",
                (("LEAD", "Leads"), ("OPP", "Opportunities"), ("SVC", "Service Cases"), ("MKT", "Campaigns")),
                ("3.0", "3.1", "3.2", "4.0"), 12),
    ProductSpec("HRM", "PeopleWorks HR", "HR, attendance and payroll.",
                (("CORE", "Core HR"), ("ATT", "Attendance"), ("PAY", "Payroll"), ("REC", "Recruiting")),
                ("10.1", "10.2", "11.0", "11.1"), 10),
    ProductSpec("POS", "StoreLine POS", "Point of sale and store back office.",
                (("POS", "Checkout"), ("STK", "Stock"), ("LOY", "Loyalty"), ("RPT", "Store Reports")),
                ("2.8", "3.0", "3.1"), 8),
)

# --- Ticket text by classification (zh, en) --------------------------------------------------
TICKET_TITLES: dict[str, tuple[tuple[str, str], ...]] = {
    "bug": (("{m}保存时报错：对象引用未设置", "{m}: error 'object reference not set' on save"),
            ("{m}报表金额与明细不一致", "{m} report totals do not match the details"),
            ("升级后{m}无法打开", "{m} does not open after the upgrade"),
            ("{m}导出Excel时程序崩溃", "{m} crashes when exporting to Excel")),
    "how_to": (("如何在{m}中设置审批流程", "How to set up approvals in {m}"),
               ("{m}月结操作步骤咨询", "Steps for month-end close in {m}"),
               ("如何批量导入{m}数据", "How to bulk-import data into {m}")),
    "configuration": (("{m}打印模板配置", "Configure the print template in {m}"),
                      ("{m}权限设置不生效", "{m} permission settings have no effect"),
                      ("新增账套后{m}参数配置", "{m} parameters for a new company book")),
    "environment": (("{m}连接数据库超时", "{m} times out connecting to the database"),
                    ("更换电脑后{m}客户端无法登录", "{m} client cannot sign in on the new PC"),
                    ("Windows更新后{m}显示异常", "{m} renders wrongly after a Windows update")),
    "feature_request": (("希望{m}支持多币种", "Request: multi-currency in {m}"),
                        ("建议{m}增加批量审核", "Request: batch approval in {m}")),
    "other": (("{m}许可证续期咨询", "{m} licence renewal question"),
              ("申请{m}培训", "Training request for {m}")),
}
RESOLUTIONS: dict[str, tuple[str, str]] = {
    "bug": ("已提供补丁并验证通过。", "Patch provided and verified with the customer."),
    "how_to": ("远程演示操作步骤，客户已掌握。", "Walked the customer through the steps remotely."),
    "configuration": ("已调整配置并测试通过。", "Configuration corrected and tested."),
    "environment": ("修复客户端环境（驱动/网络）后恢复。", "Fixed the client environment (driver/network)."),
    "feature_request": ("已记录需求，转产品经理评估。", "Logged for product management."),
    "other": ("已答复客户。", "Answered the customer."),
}
RATING_COMMENTS_ZH = ("很专业，谢谢！", "解决得很快。", "等待时间有点长。", "问题没有彻底解决。", "")
RATING_COMMENTS_EN = ("Very helpful, thanks!", "Quick fix.", "Waited a bit long.", "Not fully fixed.", "")

# --- Machines -----------------------------------------------------------------------------
OS_RELEASES = (
    # (system, release, version, distribution) as platform/Tandem Assist report them
    ("Windows", "10", "10.0.19045", "Windows 10 22H2"), ("Windows", "11", "10.0.22631", "Windows 11 23H2"),
    ("Windows", "11", "10.0.26100", "Windows 11 24H2"), ("Windows", "2019Server", "10.0.17763",
                                                         "Windows Server 2019"),
    ("Linux", "6.5.0-41-generic", "#41~22.04.2-Ubuntu", "Ubuntu 22.04.4 LTS"),
    ("Linux", "5.10.0-amd64-desktop", "#1 SMP", "UnionTech OS Desktop 20 Pro"),
    ("Darwin", "23.4.0", "Darwin Kernel Version 23.4.0", "macOS 14.4"),
)
CPUS = ("Intel Core i5-10400", "Intel Core i7-12700", "AMD Ryzen 5 5600G", "Intel Core i3-8100",
        "Intel Xeon E-2224", "Apple M2", "Hygon C86 3250")
MEMORY_GIB = (4, 8, 8, 16, 16, 32)
SCREENS = (((1920, 1080),), ((1920, 1080), (1920, 1080)), ((1366, 768),), ((2560, 1440),),
           ((1920, 1080), (1280, 1024)), ((3840, 2160),))
ASSIST_VERSION = "0.1.0"
VENDOR_NAME = "Huaxin Software"
TZ_ABBREVIATIONS = {"Asia/Shanghai": "CST", "Europe/London": "GMT", "America/New_York": "EST",
                    "America/Chicago": "CST", "America/Los_Angeles": "PST", "Asia/Singapore": "+08",
                    "Australia/Sydney": "AEST", "Asia/Hong_Kong": "HKT"}
