"""The labels of the PDF reports, in English and Simplified Chinese.

Importing this module adds them to the one catalogue (:data:`addin.reports.i18n.LABELS`,
through :func:`~addin.reports.i18n.add_labels`, which refuses a key defined twice
differently). Keys of value domains follow ``<domain>_<value as a key>``: ``stage_decline``,
``rfm_need_attention``, ``level_partnership``, ``perspective_internal_process``,
``status_amber``, so a template turns a routine's value into words with
``t("stage_" ~ value|key)``.
"""

from __future__ import annotations

import re

from addin.reports.i18n import add_labels
from addin.tiering import LIFECYCLE_STAGES

_KEY = re.compile(r"[^0-9a-z]+")

REPORT_LABELS: dict[str, dict[str, str]] = {
    # documents and page furniture
    "review_title": {"en": "Key-account review: {name}", "zh": "重点客户评估：{name}"},
    "review_subject": {"en": "Key-account review of {name} ({customer_id}) for {month}",
                       "zh": "{name}（{customer_id}）{month}重点客户评估"},
    "summary_title": {"en": "Portfolio summary", "zh": "客户组合总览"},
    "summary_subject": {"en": "Customer portfolio summary for {month}",
                        "zh": "{month}客户组合总览"},
    "page_of": {"en": "Page {page} of {pages}", "zh": "第 {page} 页，共 {pages} 页"},
    "confidential": {"en": "Confidential: for internal use", "zh": "机密：仅供内部使用"},
    "as_of": {"en": "As of {date}", "zh": "截至{date}"},
    # header and customer card
    "tier_level": {"en": "{tier}: level {level} of {levels}",
                   "zh": "{tier}：第{level}级（共{levels}级）"},
    "account_manager": {"en": "Account manager", "zh": "客户经理"},
    "customer_card": {"en": "Customer card", "zh": "客户卡片"},
    "industry": {"en": "Industry", "zh": "行业"},
    "size": {"en": "Size", "zh": "规模"},
    "credit_level": {"en": "Credit level", "zh": "信用等级"},
    "customer_since": {"en": "Customer since", "zh": "客户起始日期"},
    "email": {"en": "E-mail", "zh": "邮箱"},
    "phone": {"en": "Phone", "zh": "电话"},
    "main_contacts": {"en": "Main contacts (our staff, 12 months)",
                      "zh": "主要联系人（我方人员，近12个月）"},
    "contacts_count": {"en": "contacts: {count}", "zh": "{count}次联系"},
    "abc_class": {"en": "ABC class", "zh": "ABC分类"},
    "rank_of": {"en": "No. {rank} of {customers}", "zh": "第{rank}名（共{customers}家）"},
    "value_rank": {"en": "Rank by value", "zh": "价值排名"},
    # value
    "value": {"en": "Value", "zh": "客户价值"},
    "this_month": {"en": "This month", "zh": "本月"},
    "year_to_date": {"en": "Year to date", "zh": "本年累计"},
    "same_month_last_year": {"en": "Same month last year", "zh": "去年同月"},
    "same_period_last_year": {"en": "Same period last year", "zh": "去年同期累计"},
    "vs_last_year": {"en": "{change} vs last year", "zh": "同比{change}"},
    "no_last_year": {"en": "no sales a year earlier", "zh": "去年同期无销售"},
    "margin_rate": {"en": "Margin rate", "zh": "毛利率"},
    "share_of_company": {"en": "Share of company revenue", "zh": "占公司销售额比例"},
    "last_year_partial": {"en": "Last year's figures cover only the data from {date} on.",
                          "zh": "去年同期数据仅从{date}起。"},
    "clv": {"en": "Lifetime value (CLV, next {months} months)",
            "zh": "客户终身价值（未来{months}个月）"},
    "prob_alive": {"en": "Probability still active", "zh": "仍活跃概率"},
    "rfm_segment": {"en": "RFM segment", "zh": "RFM细分"},
    "rfm_score": {"en": "RFM score {score}", "zh": "RFM得分{score}"},
    "lifecycle_stage": {"en": "Life-cycle stage", "zh": "生命周期阶段"},
    "relationship_level": {"en": "Recommended relationship level", "zh": "建议关系营销水平"},
    "days_since_order": {"en": "Days since last order", "zh": "距上次下单天数"},
    "model_measures": {"en": "Customer value models", "zh": "客户价值模型"},
    # charts
    "charts": {"en": "Trends", "zh": "趋势"},
    "chart_revenue_trend": {"en": "Revenue and margin, last 18 months",
                            "zh": "近18个月销售额与毛利"},
    "chart_satisfaction": {"en": "Satisfaction and NPS by quarter",
                           "zh": "各季度满意度与净推荐值"},
    "chart_tier_history": {"en": "Tier at each month's end", "zh": "各月末客户等级"},
    "chart_pareto": {"en": "Pareto curve", "zh": "帕累托曲线"},
    "chart_nps_trend": {"en": "NPS by quarter with 95% margin of error",
                        "zh": "各季度净推荐值（95%误差范围）"},
    "chart_scorecard_trend": {"en": "Overall scorecard score by month",
                              "zh": "各月平衡计分卡总分"},
    "axis_satisfaction": {"en": "Satisfaction (1-{scale})", "zh": "满意度（1-{scale}）"},
    "axis_customers_share": {"en": "Share of customers (largest first)",
                             "zh": "客户占比（按价值从高到低）"},
    "axis_value_share": {"en": "Cumulative share of {value}", "zh": "{value}累计占比"},
    "axis_score": {"en": "Score (0-100)", "zh": "得分（0-100）"},
    "no_survey": {"en": "No survey answers from this account yet.",
                  "zh": "该客户暂无调查答卷。"},
    "survey_basis": {"en": "Answers in the last 12 months: {count}; last answer {date}.",
                     "zh": "近12个月答卷：{count}份；最近一次{date}。"},
    "satisfaction": {"en": "Satisfaction", "zh": "满意度"},
    "mean_of_scale": {"en": "mean, 1-{scale}", "zh": "均值，1-{scale}"},
    # service
    "service": {"en": "Service", "zh": "服务"},
    "open_complaints": {"en": "Open complaints", "zh": "未结投诉"},
    "past_target": {"en": "Past the {days}-day target", "zh": "超过{days}天处理时限"},
    "resolved_this_month": {"en": "Resolved this month", "zh": "本月已解决"},
    "mean_resolution": {"en": "Mean resolution time (12 months)",
                        "zh": "平均解决时间（近12个月）"},
    "within_target": {"en": "Resolved within target (12 months)",
                      "zh": "按时解决率（近12个月）"},
    "days_value": {"en": "{days} days", "zh": "{days}天"},
    "opened": {"en": "Opened", "zh": "受理日期"},
    "age": {"en": "Age", "zh": "已处理天数"},
    "category": {"en": "Category", "zh": "类别"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "status": {"en": "Status", "zh": "状态"},
    "over_target": {"en": "over target", "zh": "已超时"},
    "within": {"en": "within target", "zh": "未超时"},
    "no_open_complaints": {"en": "No open complaints.", "zh": "无未结投诉。"},
    "no_complaints_sheet": {"en": "The workbook has no Complaints sheet.",
                            "zh": "工作簿中没有投诉表。"},
    # relationship
    "relationship": {"en": "Relationship", "zh": "客户关系"},
    "staff_6m": {"en": "Staff in contact, last {months} months",
                 "zh": "近{months}个月有联系的员工"},
    "contacts_6m": {"en": "Contacts, last {months} months", "zh": "近{months}个月联系次数"},
    "single_point": {"en": "Single point of contact: only {names} had contact in the last "
                           "{months} months. If this person leaves, the relationship is at "
                           "risk.",
                     "zh": "单点联系风险：近{months}个月仅有{names}与客户联系。此人一旦离职，"
                           "客户关系将面临风险。"},
    "no_contact": {"en": "No staff had contact in the last {months} months.",
                   "zh": "近{months}个月无任何员工与客户联系。"},
    "last_interactions": {"en": "Last interactions", "zh": "最近联系记录"},
    "date": {"en": "Date", "zh": "日期"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "staff": {"en": "Staff", "zh": "员工"},
    "subject": {"en": "Subject", "zh": "主题"},
    "outcome": {"en": "Outcome", "zh": "结果"},
    "no_contacts_sheet": {"en": "The workbook has no Contacts sheet.",
                          "zh": "工作簿中没有联系记录表。"},
    "no_interactions": {"en": "No interactions recorded.", "zh": "无联系记录。"},
    # next actions
    "next_actions": {"en": "Next actions", "zh": "下一步行动"},
    "no_actions": {"en": "No rule is triggered this month.", "zh": "本月未触发任何规则。"},
    "actions_rules_note": {
        "en": "Each action comes from a documented rule and shows the number that triggered "
              "it.",
        "zh": "每项行动均来自既定规则，并列出触发该规则的数值。"},
    "action_complaint_overdue": {
        "en": "Open complaints past the {target}-day target: {count}; the oldest is {days} "
              "days old.",
        "zh": "{count}项未结投诉已超过{target}天处理时限，最久的已{days}天。"},
    "action_low_satisfaction": {
        "en": "Mean satisfaction {mean} in the last 12 months, below the threshold of "
              "{threshold} (answers: {answers}).",
        "zh": "近12个月{answers}份答卷的平均满意度为{mean}，低于{threshold}的阈值。"},
    "action_spend_declining": {
        "en": "Revenue of the last {days} days is {change} against the {days} days before "
              "(alert at {limit}).",
        "zh": "近{days}天销售额较之前{days}天变化{change}（预警线{limit}）。"},
    "action_win_back": {
        "en": "Lost by the churn rule: no order for {days} days, more than {limit} days "
              "(its usual gap times the loss factor, at least the rule's floor); {value} at "
              "stake.",
        "zh": "按流失规则已流失：{days}天未下单，超过{limit}天（通常间隔乘以流失系数，"
              "且不少于最短沉默天数）；潜在损失{value}。"},
    "action_purchase_overdue": {
        "en": "No order for {days} days; this account usually orders every {gap} days "
              "(overdue after {limit} days).",
        "zh": "已{days}天未下单；该客户平均每{gap}天下单一次（超过{limit}天即为逾期）。"},
    "action_single_contact": {
        "en": "Staff in contact in the last 6 months: {staff} (contacts: {contacts}).",
        "zh": "近6个月仅有{staff}名员工与客户联系（共{contacts}次）。"},
    "advice_win_back": {"en": "Call the decision maker, settle what is open and make a "
                              "win-back offer.",
                        "zh": "联系决策人，解决未决问题，并提出挽回方案。"},
    "advice_complaint_overdue": {"en": "Escalate the open complaints and agree a resolution "
                                       "date with the customer.",
                                 "zh": "升级处理未结投诉，并与客户约定解决日期。"},
    "advice_low_satisfaction": {"en": "Visit the customer to understand the "
                                      "dissatisfaction and agree improvements.",
                                "zh": "拜访客户，了解不满原因并商定改进措施。"},
    "advice_spend_declining": {"en": "Review the account plan, pricing and share of wallet "
                                     "with the account manager.",
                               "zh": "与客户经理一起复盘客户计划、价格及钱包份额。"},
    "advice_purchase_overdue": {"en": "Call the buyer to confirm the next order.",
                                "zh": "致电采购负责人，确认下一笔订单。"},
    "advice_single_contact": {"en": "Introduce a second contact (a manager or a service "
                                    "engineer) to the account.",
                              "zh": "为该客户增加第二联系人（主管或服务工程师）。"},
    "action_tag_win_back": {"en": "lost: no order for {days} days", "zh": "已流失：{days}天未下单"},
    "action_tag_complaint_overdue": {"en": "complaint open {days} days (target {target})",
                                     "zh": "投诉已{days}天未结（时限{target}天）"},
    "action_tag_low_satisfaction": {"en": "satisfaction {mean} (answers: {answers})",
                                    "zh": "满意度{mean}（{answers}份答卷）"},
    "action_tag_spend_declining": {"en": "revenue {change} over {days} days",
                                   "zh": "近{days}天销售额{change}"},
    "action_tag_purchase_overdue": {"en": "no order for {days} days (usual gap {gap} days)",
                                    "zh": "{days}天未下单（平均间隔{gap}天）"},
    "action_tag_single_contact": {"en": "staff in contact in 6 months: {staff}",
                                  "zh": "近6个月仅{staff}名员工联系"},
    "at_risk_more": {"en": "Further key accounts needing attention, not listed here: {count}; "
                           "their reviews list the actions.",
                     "zh": "另有{count}家重点客户需关注，详见各自的评估报告。"},
    "at_risk_note": {"en": "Key accounts that trigger a next-action rule, most reasons first.",
                     "zh": "触发下一步行动规则的重点客户，按原因数量排序。"},
    "chart_company_trend": {"en": "Company revenue and margin, last 18 months",
                            "zh": "近18个月公司销售额与毛利"},
    "action_heading_win_back": {"en": "Win back a lost account", "zh": "挽回流失客户"},
    "action_heading_complaint_overdue": {"en": "Complaint past its target",
                                         "zh": "投诉超时"},
    "action_heading_low_satisfaction": {"en": "Satisfaction below threshold",
                                        "zh": "满意度低于阈值"},
    "action_heading_spend_declining": {"en": "Spend declining", "zh": "消费下降"},
    "action_heading_purchase_overdue": {"en": "Purchase overdue", "zh": "采购逾期"},
    "action_heading_single_contact": {"en": "Single point of contact", "zh": "单点联系"},
    # summary
    "headline_numbers": {"en": "Headline numbers", "zh": "关键数据"},
    "buyers": {"en": "with orders: {count}", "zh": "其中{count}家有订单"},
    "key_share": {"en": "{share} of revenue year to date", "zh": "占本年销售额{share}"},
    "margin_ytd": {"en": "Margin year to date", "zh": "本年累计毛利"},
    "at_risk_count": {"en": "Key accounts needing attention", "zh": "需关注的重点客户"},
    "tier_distribution": {"en": "Tier distribution", "zh": "客户等级分布"},
    "customer_share": {"en": "Share of customers", "zh": "客户占比"},
    "revenue_share": {"en": "Share of revenue", "zh": "销售额占比"},
    "pareto_point": {"en": "{customers} of customers bring {value} of {measure}.",
                     "zh": "{customers}的客户贡献了{value}的{measure}。"},
    "top20_share": {"en": "The top 20% of customers bring {share}.",
                    "zh": "前20%的客户贡献了{share}。"},
    "measure_revenue": {"en": "revenue", "zh": "销售额"},
    "measure_margin": {"en": "margin", "zh": "毛利"},
    "top_accounts": {"en": "Top {count} accounts by revenue, year to date",
                     "zh": "本年累计销售额前{count}大客户"},
    "top_note": {"en": "Ranked by revenue from {start} to {end} (year to date); accounts "
                       "without revenue this year are left out. The tier ranks all orders "
                       "to {end}, as on the Tiers sheet.",
                 "zh": "按{start}至{end}的销售额（本年累计）排名，本年无销售额的客户不列入。"
                       "客户等级按截至{end}的全部订单排名，与客户分层表一致。"},
    "rank": {"en": "Rank", "zh": "排名"},
    "ytd_change": {"en": "YTD vs last year", "zh": "本年累计同比"},
    "tier_movers": {"en": "Tier movers since {month}", "zh": "自{month}以来等级变动"},
    "movers_note": {"en": "{changed} customers changed tier; {touching} of the changes touch the "
                          "key-account tiers.",
                    "zh": "共{changed}家客户等级发生变化，其中{touching}项涉及重点客户等级。"},
    "from_tier": {"en": "From", "zh": "原等级"},
    "to_tier": {"en": "To", "zh": "新等级"},
    "moved_up": {"en": "up", "zh": "上升"},
    "moved_down": {"en": "down", "zh": "下降"},
    "no_movers": {"en": "No key account changed tier.", "zh": "重点客户等级无变化。"},
    "movers_matrix": {"en": "All customers: tier last month (rows) and now (columns)",
                      "zh": "全部客户：上月等级（行）与本月等级（列）"},
    "no_history": {"en": "No earlier month to compare with.", "zh": "没有可比较的上月数据。"},
    "at_risk": {"en": "Key accounts at risk", "zh": "风险重点客户"},
    "no_at_risk": {"en": "No key account triggers a rule this month.",
                   "zh": "本月没有重点客户触发任何规则。"},
    "survey_section": {"en": "NPS and CSAT", "zh": "净推荐值与客户满意度"},
    "survey_period": {"en": "Answers from {start} to {end} (last 12 months): {count}.",
                      "zh": "{start}至{end}共{count}份答卷（近12个月）。"},
    "score": {"en": "Score", "zh": "得分"},
    "interval": {"en": "95% interval", "zh": "95%置信区间"},
    "csat_definition": {"en": "CSAT: share answering {top} to {scale} on 1-{scale}, with its "
                              "95% Wilson interval",
                        "zh": "客户满意度：1-{scale}分中选择{top}至{scale}分的比例，"
                              "附95%威尔逊区间"},
    "nps_definition": {"en": "NPS: promoters (9-10) minus detractors (0-6), in points",
                       "zh": "净推荐值：推荐者（9-10分）减贬损者（0-6分），单位为点"},
    "all_customers": {"en": "All customers", "zh": "全部客户"},
    "no_survey_sheet": {"en": "The workbook has no survey answers.",
                        "zh": "工作簿中没有调查答卷。"},
    "scorecard": {"en": "Balanced scorecard", "zh": "平衡计分卡"},
    "overall_score": {"en": "Overall score", "zh": "总分"},
    "perspective": {"en": "Perspective", "zh": "层面"},
    "weight": {"en": "Weight", "zh": "权重"},
    "red_kpis": {"en": "Red KPIs", "zh": "红灯指标"},
    "kpis_attention": {"en": "KPIs in red or amber", "zh": "红灯与黄灯指标"},
    "kpi": {"en": "KPI", "zh": "指标"},
    "target": {"en": "Target", "zh": "目标值"},
    "actual": {"en": "Actual", "zh": "实际值"},
    "progress": {"en": "Progress", "zh": "进度"},
    "scorecard_period": {"en": "Period {period}", "zh": "期间{period}"},
    "no_scorecard": {"en": "The workbook has no Scorecard sheet.",
                     "zh": "工作簿中没有平衡计分卡表。"},
    # value domains
    "status_green": {"en": "green", "zh": "绿灯"},
    "status_amber": {"en": "amber", "zh": "黄灯"},
    "status_red": {"en": "red", "zh": "红灯"},
    "status_no_data": {"en": "no data", "zh": "无数据"},
    "perspective_financial": {"en": "Financial", "zh": "财务"},
    "perspective_customer": {"en": "Customer", "zh": "客户"},
    "perspective_internal_process": {"en": "Internal process", "zh": "内部流程"},
    "perspective_learning_and_growth": {"en": "Learning and growth", "zh": "学习与成长"},
    "level_basic": {"en": "basic", "zh": "基本型"},
    "level_reactive": {"en": "reactive", "zh": "被动型"},
    "level_accountable": {"en": "accountable", "zh": "负责型"},
    "level_proactive": {"en": "proactive", "zh": "能动型"},
    "level_partnership": {"en": "partnership", "zh": "伙伴型"},
    "rfm_champions": {"en": "Champions", "zh": "冠军客户"},
    "rfm_loyal": {"en": "Loyal", "zh": "忠诚客户"},
    "rfm_potential_loyalist": {"en": "Potential loyalist", "zh": "潜在忠诚客户"},
    "rfm_new": {"en": "New", "zh": "新客户"},
    "rfm_promising": {"en": "Promising", "zh": "有潜力客户"},
    "rfm_need_attention": {"en": "Need attention", "zh": "需关注客户"},
    "rfm_about_to_sleep": {"en": "About to sleep", "zh": "即将沉睡客户"},
    "rfm_at_risk": {"en": "At risk", "zh": "流失风险客户"},
    "rfm_cannot_lose_them": {"en": "Cannot lose them", "zh": "不能失去的客户"},
    "rfm_hibernating": {"en": "Hibernating", "zh": "沉睡客户"},
    "rfm_lost": {"en": "Lost", "zh": "已流失客户"},
    **{f"stage_{stage}": {"en": stage.capitalize(), "zh": zh}
       for stage, zh in LIFECYCLE_STAGES.items()},
    # the executive's pack
    "pack_title": {"en": "Monthly CRM pack", "zh": "CRM月度汇报"},
    "pack_subject": {"en": "Monthly CRM pack for {name}, {month}",
                     "zh": "{month}CRM月度汇报（{name}）"},
    "pack_for": {"en": "Prepared for {name}", "zh": "呈送：{name}"},
    "pack_scope": {"en": "Scope", "zh": "负责范围"},
    "your_scope": {"en": "Your scope", "zh": "您的范围"},
    "whole_company": {"en": "Whole company", "zh": "全公司"},
    "contents": {"en": "Contents", "zh": "目录"},
    "page": {"en": "Page", "zh": "页码"},
    "pack_order_note": {"en": "Accounts needing attention come first, then by value; each "
                              "name links to its review.",
                        "zh": "需关注的客户排在前面，其余按价值排序；点击客户名称可跳转至其评估。"},
    "revenue_tiering": {"en": "Revenue to date", "zh": "累计销售额"},
    "revenue_tiering_note": {"en": "Revenue to date: net revenue of all orders up to the "
                                   "month's end, the value the tiering ranks by (as on the "
                                   "Tiers sheet).",
                             "zh": "累计销售额：截至月末全部订单的净销售额，即客户分级排序所用的"
                                   "价值（与客户分级表一致）。"},
    "pack_no_accounts": {"en": "No key account is in your scope this month.",
                         "zh": "本月您的负责范围内没有重点客户。"},
}

# Workbook values in a controlled vocabulary (the pyramid's tier names, regions, industries,
# segments, channels, contact subjects and outcomes, complaint categories and severities, the
# CLV method): domain -> {value as a key: (English, Chinese)}. A value not listed is printed as
# the workbook has it. The demo workbook's vocabulary (addin/demo/vocabulary.py) is covered.
VALUE_TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "tier": {"vip": ("VIP", "VIP客户"), "key": ("Key", "重点客户"),
             "standard": ("Standard", "普通客户"), "small": ("Small", "小客户")},
    "region": {"north": ("North", "华北"), "east": ("East", "华东"), "south": ("South", "华南"),
               "west": ("West", "西部"), "central": ("Central", "华中")},
    "industry": {"manufacturing": ("Manufacturing", "制造业"),
                 "logistics": ("Logistics", "物流"),
                 "construction": ("Construction", "建筑业"),
                 "wholesale": ("Wholesale", "批发"), "energy": ("Energy", "能源"),
                 "healthcare": ("Healthcare", "医疗健康"),
                 "electronics": ("Electronics", "电子"),
                 "food_beverage": ("Food & Beverage", "食品饮料"),
                 "automotive": ("Automotive", "汽车"), "retail": ("Retail", "零售"),
                 "industry": ("Industry", "工业")},
    "segment": {"enterprise": ("Enterprise", "大型企业"),
                "mid_market": ("Mid-market", "中型企业"), "smb": ("SMB", "中小企业")},
    "channel": {"visit": ("Visit", "拜访"), "phone": ("Phone", "电话"),
                "email": ("Email", "邮件"), "wechat": ("WeChat", "微信"),
                "meeting": ("Meeting", "会议"), "direct": ("Direct", "直销"),
                "distributor": ("Distributor", "经销商"), "online": ("Online", "线上")},
    "subject": {"quarterly_business_review": ("Quarterly business review", "季度业务回顾"),
                "price_negotiation": ("Price negotiation", "价格谈判"),
                "order_follow_up": ("Order follow-up", "订单跟进"),
                "delivery_query": ("Delivery query", "交付咨询"),
                "technical_support": ("Technical support", "技术支持"),
                "new_product_introduction": ("New product introduction", "新产品介绍"),
                "contract_renewal": ("Contract renewal", "合同续签"),
                "complaint_follow_up": ("Complaint follow-up", "投诉跟进"),
                "payment_reminder": ("Payment reminder", "付款提醒"),
                "relationship_visit": ("Relationship visit", "关系维护拜访")},
    "outcome": {"order_placed": ("Order placed", "已下单"), "quote_sent": ("Quote sent", "已报价"),
                "follow_up_scheduled": ("Follow-up scheduled", "已安排跟进"),
                "issue_resolved": ("Issue resolved", "问题已解决"),
                "information_provided": ("Information provided", "已提供信息"),
                "no_decision": ("No decision", "尚未决定"),
                "escalated": ("Escalated", "已升级处理")},
    "category": {"delivery": ("Delivery", "交付"), "quality": ("Quality", "质量"),
                 "billing": ("Billing", "账单"), "service": ("Service", "服务"),
                 "product": ("Product", "产品")},
    "severity": {"low": ("Low", "低"), "medium": ("Medium", "中"), "high": ("High", "高"),
                 "critical": ("Critical", "严重")},
    "kpi": {"crm_adoption": ("CRM adoption", "CRM系统使用率"), "csat": ("CSAT", "客户满意度"),
            "complaint_rate": ("Complaint rate", "投诉率"),
            "complaint_resolution_time": ("Complaint resolution time", "投诉解决时间"),
            "cost_to_serve": ("Cost to serve", "服务成本"),
            "cross_sell_rate": ("Cross-sell rate", "交叉销售率"),
            "customer_profitability_gross_margin": ("Customer profitability (gross margin)",
                                                    "客户盈利能力（毛利率）"),
            "data_completeness": ("Data completeness", "数据完整率"),
            "duplicate_record_rate": ("Duplicate record rate", "重复记录率"),
            "first_response_time": ("First response time", "首次响应时间"),
            "key_account_contacts_per_month": ("Key-account contacts per month",
                                               "重点客户月均联系次数"),
            "knowledge_spread": ("Knowledge spread", "知识共享度"),
            "net_promoter_score": ("Net promoter score", "净推荐值"),
            "new_customers_acquired": ("New customers acquired", "新增客户数"),
            "on_time_delivery": ("On-time delivery", "准时交付率"),
            "retention_rate": ("Retention rate", "客户保留率"),
            "revenue_from_key_accounts": ("Revenue from key accounts", "重点客户销售额"),
            "staff_retention": ("Staff retention", "员工保留率"),
            "training_hours": ("Training hours", "培训时长"),
            "share_of_wallet": ("Share of wallet", "钱包份额")},
    "unit": {"of_revenue": ("% of revenue", "%（占销售额）"),
             "of_staff_weekly_active": ("% of staff weekly active", "%（员工周活跃）"),
             "of_key_accounts_with_2_staff_contacts": (
                 "% of key accounts with 2+ staff contacts", "%（有两名以上员工联系的重点客户）"),
             "m_cny": ("M CNY", "百万元"), "contacts_per_account": ("contacts per account",
                                                                "次/客户"),
             "customers": ("customers", "家客户"), "days": ("days", "天"),
             "hours": ("hours", "小时"), "hours_per_staff": ("hours per staff", "小时/人"),
             "per_100_active_customers": ("per 100 active customers", "/百家活跃客户"),
             "points": ("points", "分"), "score_1_5": ("score (1-5)", "分（1-5）")},
    "loss_rule": {"gap": ("gap", "间隔规则"), "alive": ("alive", "存活概率规则"),
                  "either": ("either", "任一规则")},
    "left_out": {"churn": ("churn", "流失分析"), "forecast": ("forecast", "销售预测")},
    "dimension": {"tangibles": ("Tangibles", "有形性"), "reliability": ("Reliability", "可靠性"),
                  "responsiveness": ("Responsiveness", "响应性"),
                  "assurance": ("Assurance", "保证性"), "empathy": ("Empathy", "移情性")},
    "quadrant": {"concentrate_here": ("Concentrate here", "重点改进"),
                 "keep_up_the_good_work": ("Keep up the good work", "继续保持"),
                 "low_priority": ("Low priority", "低优先级"),
                 "possible_overkill": ("Possible overkill", "可能过度投入")},
    "clv_method": {"bg_nbd_gamma_gamma": ("BG/NBD + Gamma-Gamma",
                                          "BG/NBD与Gamma-Gamma模型"),
                   "margin_formula": ("margin formula", "毛利公式")},
}
REPORT_LABELS.update({f"term_{domain}_{key}": {"en": en, "zh": zh}
                      for domain, terms in VALUE_TERMS.items()
                      for key, (en, zh) in terms.items()})
# the reason a section was left out is the routine's English message: Chinese says which
# section and where the reason is (the command's output names sheet, column and value)
REPORT_LABELS["churn_left_out_brief"] = {
    "en": "Left out: {part} (the command's output says why).",
    "zh": "未列出{part}：数据或设置不足以计算，原因见命令输出。"}
REPORT_LABELS["sentence_end"] = {"en": ".", "zh": "。"}
REPORT_LABELS["answers_head"] = {"en": "n", "zh": "样本数"}
REPORT_LABELS["sample_n"] = {"en": "n={n}", "zh": "{n}份"}
REPORT_LABELS["sample_n_spaced"] = {"en": "n = {n}", "zh": "{n}份答卷"}

# Item 4 of issue 14, "nothing a manager would misread": the rules' words
REPORT_LABELS.update({
    "too_few_answers": {"en": "too few answers (n = {n})", "zh": "答卷过少（{n}份）"},
    "too_few_short": {"en": "too few answers", "zh": "答卷过少"},
    "too_few_rule": {
        "en": "An NPS or CSAT from fewer than {min} answers is shown as \u201ctoo few "
              "answers\u201d with its n, not as a score: so few answers can move it by tens "
              "of points.",
        "zh": "答卷少于{min}份时，净推荐值和客户满意度不显示分值，只标注\u201c答卷过少\u201d及"
              "答卷数：答卷过少时分值可能相差数十分。"},
    "survey_tile_note": {"en": "n = {n}; \u00b1 95% margin of error",
                         "zh": "{n}份答卷；\u00b1为95%误差范围"},
    "rfm_scored_as": {"en": "RFM grid: {segment} (score {score})",
                      "zh": "RFM评分结果：{segment}（{score}）"},
    "rfm_reconciled_termination": {
        "en": "RFM ranks recency against other customers ({scored}); judged against the "
              "account's own rhythm the life cycle says termination (the churn loss rule), so "
              "it is shown as {shown}.",
        "zh": "RFM按与其他客户相比的最近购买排名（{scored}）；按客户自身节奏，生命周期判为终止期"
              "（流失规则），故显示为{shown}。"},
    "rfm_reconciled_alive": {
        "en": "RFM ranks recency against other customers ({scored}); its chance of still "
              "being active is below {threshold}, so it is shown as {shown}.",
        "zh": "RFM按与其他客户相比的最近购买排名（{scored}）；其仍活跃概率低于{threshold}，"
              "故显示为{shown}。"},
    "stage_vs_alive": {
        "en": "The {p} chance of still buying weighs its whole history; termination compares "
              "its {days} days without an order with its own usual gap.",
        "zh": "{p}的仍活跃概率综合其全部历史；终止期则是将其{days}天未下单与其自身通常的下单间隔"
              "相比较。"},
    "rfm_reconciled_rule": {
        "en": "* RFM segment reconciled with the life cycle: an account in termination or "
              "unlikely to be still active is read on the lowest recency row (its review "
              "explains).",
        "zh": "* RFM细分已与生命周期核对：处于终止期或不太可能仍活跃的客户，按最低的最近购买"
              "得分归类（详见其评估报告）。"},
    "no_data_warning": {
        "en": "No transactions in {month} yet: the log ends on {last}. This month's figures "
              "read zero because the data is missing, not because nothing was sold.",
        "zh": "{month}尚无交易数据：交易记录止于{last}。本月数字为零是因为数据缺失，"
              "并非没有销售。"},
    "partial_data_warning": {
        "en": "The transactions stop on {last}, {days} days before {month} ends: this "
              "month's figures are incomplete.",
        "zh": "交易记录止于{last}，距{month}结束还有{days}天：本月数字不完整。"},
    "account_review": {"en": "Account review", "zh": "客户评估"},

    "account_review_title": {"en": "Account review: {name}", "zh": "客户评估：{name}"},
    "account_review_subject": {"en": "Account review of {name} ({customer_id}) for {month}",
                               "zh": "{name}（{customer_id}）{month}客户评估"},
    "chart_ipa": {"en": "Importance and performance of the service items, last 12 months",
                  "zh": "服务题项的重要性与表现（近12个月）"},
    "axis_performance": {"en": "Performance (mean answer)", "zh": "表现（平均得分）"},
    "axis_importance": {"en": "Importance (mean answer)", "zh": "重要性（平均得分）"},
    "ipa_note_mean": {
        "en": "Each point is an item's mean answers (1-{scale}); the dashed lines split the map "
              "at the mean of the item means (importance {importance}, performance "
              "{performance}), as on the Survey Results sheet.",
        "zh": "每个点为一个题项的平均得分（1-{scale}）；虚线按各题项均值的平均数划分象限"
              "（重要性{importance}，表现{performance}），与调查结果表一致。"},
    "ipa_note_midpoint": {
        "en": "Each point is an item's mean answers (1-{scale}); the dashed lines split the map "
              "at the scale's midpoint ({importance}), as on the Survey Results sheet.",
        "zh": "每个点为一个题项的平均得分（1-{scale}）；虚线按量表中点（{importance}）划分象限，"
              "与调查结果表一致。"},
    "ipa_too_few": {"en": "Items with fewer than {min} answers are left off the map: {count}.",
                    "zh": "答卷少于{min}份的题项未列入：{count}项。"},
    "not_key_account_note": {
        "en": "Not a key account (tier: {tier}): this review was asked for by name.",
        "zh": "该客户并非重点客户（等级：{tier}），本评估系按指定客户生成。"},
})

add_labels(REPORT_LABELS)


def term(domain: str, value: object, lang: str) -> str:
    """A workbook value of a controlled vocabulary (:data:`VALUE_TERMS`) in ``lang``; any
    other value as written; a missing one as a dash."""
    from addin.reports.i18n import MISSING, is_missing, label

    if value is None or is_missing(value) or value == "":
        return MISSING
    text = str(value)
    key = f"term_{domain}_{_KEY.sub('_', text.casefold()).strip('_')}"
    if key not in REPORT_LABELS:
        return text
    # the vocabulary's word, however spelt ("key", "Key", "food_beverage") is translated; a
    # value with characters the word does not have ("$Key$") is the user's own label and
    # prints as typed
    if set(text.casefold()) - set(label(key, "en").casefold()) - set(" _-"):
        return text
    return label(key, lang)


def item_label(item: str, dimension: object, lang: str) -> str:
    """A survey item's name for a chart: an item of a SERVQUAL dimension (``reliability_1``)
    as the dimension's word and the rest of its name (``Reliability 1``, ``可靠性1``);
    any other item as its :func:`term` (as typed unless the vocabulary knows it)."""
    text = str(item)
    dim = str(dimension) if isinstance(dimension, str) and dimension else None
    if dim and text.casefold().startswith(dim.casefold()):
        rest = text[len(dim):].strip(" _-").replace("_", " ")
        word = term("dimension", dim, lang)
        if not rest:
            return word
        return f"{word}{rest}" if lang == "zh" and rest.isdigit() else f"{word} {rest}"
    return term("item", text, lang)


__all__ = ["REPORT_LABELS", "VALUE_TERMS", "item_label", "term"]
