"""The order model the console tests deploy: two user tasks, an async script task that always
fails (a failed job and an incident), and BPMN DI so the server can draw it."""

ORDER_KEY = "consoleOrder"

ORDER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="orderDefinitions"
    targetNamespace="http://example.org/console">
  <bpmn:process id="consoleOrder" name="Console order" isExecutable="true">
    <bpmn:startEvent id="start" name="Order received"/>
    <bpmn:sequenceFlow id="toGateway" sourceRef="start" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" name="Charge first?" default="toReview"/>
    <bpmn:sequenceFlow id="toReview" sourceRef="route" targetRef="review"/>
    <bpmn:sequenceFlow id="toCharge" sourceRef="route" targetRef="charge">
      <bpmn:conditionExpression>${chargeFirst == true}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:userTask id="review" name="Review order"/>
    <bpmn:sequenceFlow id="toApprove" sourceRef="review" targetRef="approve"/>
    <bpmn:userTask id="approve" name="Approve order"/>
    <bpmn:sequenceFlow id="approvedToEnd" sourceRef="approve" targetRef="end"/>
    <bpmn:scriptTask id="charge" name="Charge card" scriptFormat="javascript" camunda:asyncBefore="true">
      <bpmn:script>throw new Error("card declined")</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="chargedToEnd" sourceRef="charge" targetRef="end"/>
    <bpmn:endEvent id="end" name="Order done"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="orderDiagram">
    <bpmndi:BPMNPlane id="orderPlane" bpmnElement="consoleOrder">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="route_di" bpmnElement="route" isMarkerVisible="true"><dc:Bounds x="185" y="95" width="50" height="50"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="290" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="approve_di" bpmnElement="approve"><dc:Bounds x="450" y="80" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="charge_di" bpmnElement="charge"><dc:Bounds x="290" y="220" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="612" y="102" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="toGateway_di" bpmnElement="toGateway"><di:waypoint x="136" y="120"/><di:waypoint x="185" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="toReview_di" bpmnElement="toReview"><di:waypoint x="235" y="120"/><di:waypoint x="290" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="toCharge_di" bpmnElement="toCharge"><di:waypoint x="210" y="145"/><di:waypoint x="210" y="260"/><di:waypoint x="290" y="260"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="toApprove_di" bpmnElement="toApprove"><di:waypoint x="390" y="120"/><di:waypoint x="450" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="approvedToEnd_di" bpmnElement="approvedToEnd"><di:waypoint x="550" y="120"/><di:waypoint x="612" y="120"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="chargedToEnd_di" bpmnElement="chargedToEnd"><di:waypoint x="390" y="260"/><di:waypoint x="630" y="260"/><di:waypoint x="630" y="138"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
