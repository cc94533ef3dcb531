"""The 信用中国 administrative penalty publicity (行政处罚, 法人及非法人组织) import template, written by hand.

Source: no authoritative copy of the national template (国家发展改革委 / 信用中国 "行政处罚信息" data standard)
could be found with the search tools available when this was written. The columns are those of the legal-person
penalty template as public code repositories that prepare files for the platform reproduce it (26 columns from
行政相对人名称 to 备注: e.g. the "CompanyPenalty" template lists with the fields cf_xdr_mc … cf_sjlydm, bz), with
行政相对人类别 after the name as in the 2021 revision. Dates: YYYY/MM/DD; amounts: 万元, at most six decimals.
Check it against the template in force before the first real submission.
"""

COLUMNS = [
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1（统一社会信用代码）",
    "行政相对人代码_2（工商注册号）",
    "行政相对人代码_3（组织机构代码）",
    "行政相对人代码_4（税务登记号）",
    "行政相对人代码_5（事业单位证书号）",
    "行政相对人代码_6（社会组织登记证号）",
    "法定代表人",
    "法定代表人身份证号",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]
# 行政相对人类别 codes of the template: 法人及非法人组织, 自然人, 个体工商户.
SUBJECT_CATEGORIES = {"法人及非法人组织", "自然人", "个体工商户"}
# 处罚类别 of 行政处罚法 第九条 as the template lists them.
PENALTY_CATEGORIES = {
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得、没收非法财物",
    "暂扣或者吊销许可证、暂扣或者吊销执照",
    "降低资质等级",
    "限制开展生产经营活动",
    "责令停产停业",
    "责令关闭",
    "限制从业",
    "行政拘留",
    "其他",
}
DATE_PATTERN = r"^\d{4}/\d{2}/\d{2}$"
AMOUNT_PATTERN = r"^\d+(\.\d{1,6})?$"
