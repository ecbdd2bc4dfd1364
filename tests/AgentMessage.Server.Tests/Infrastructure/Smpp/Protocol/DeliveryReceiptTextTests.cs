using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

public sealed class DeliveryReceiptTextTests
{
    [Fact]
    public void TryParse_SpecFormat_ReadsEveryField()
    {
        const string text = "id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done date:0610191019 stat:DELIVRD err:000 Text:Hello world";

        Assert.True(DeliveryReceiptText.TryParse(text, out DeliveryReceiptText receipt));

        Assert.Equal(
            new DeliveryReceiptText("0123456789", "001", "001", "0610191018", "0610191019", "DELIVRD", "000", "Hello world"),
            receipt);
    }

    [Fact]
    public void TryParse_UpperCaseKeys_ReadsFields()
    {
        const string text = "ID:A1B2 SUB:001 DLVRD:000 SUBMIT DATE:2401011200 DONE DATE:2401011300 STAT:UNDELIV ERR:001 TEXT:x";

        Assert.True(DeliveryReceiptText.TryParse(text, out DeliveryReceiptText receipt));

        Assert.Equal(
            new DeliveryReceiptText("A1B2", "001", "000", "2401011200", "2401011300", "UNDELIV", "001", "x"),
            receipt);
    }

    [Fact]
    public void TryParse_WithoutText_HasNullText()
    {
        Assert.True(DeliveryReceiptText.TryParse("id:42 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000", out var receipt));

        Assert.Equal("000", receipt.Err);
        Assert.Null(receipt.Text);
    }

    [Fact]
    public void TryParse_ExtraSpacesAroundValuesAndKeys_ReadsFields()
    {
        Assert.True(DeliveryReceiptText.TryParse("  id: 42   sub :001  submit  date: 2401011200\tstat:  EXPIRED   err:000  ", out var receipt));

        Assert.Equal(("42", "001", "2401011200", "EXPIRED", "000"), (receipt.Id, receipt.Sub, receipt.SubmitDate, receipt.Stat, receipt.Err));
    }

    [Fact]
    public void TryParse_FieldsInAnyOrderWithUnderscoreDates_ReadsFields()
    {
        Assert.True(DeliveryReceiptText.TryParse("stat:REJECTD done_date:2401011201 err:045 submit_date:2401011200 id:x-9", out var receipt));

        Assert.Equal(new DeliveryReceiptText("x-9", null, null, "2401011200", "2401011201", "REJECTD", "045", null), receipt);
    }

    [Fact]
    public void TryParse_LongHyphenatedId_ReadsWholeId()
    {
        Assert.True(DeliveryReceiptText.TryParse("id:7f1c2a9e-1b2c-4d5e-8f90-123456789abc stat:DELIVRD", out var receipt));

        Assert.Equal("7f1c2a9e-1b2c-4d5e-8f90-123456789abc", receipt.Id);
    }

    [Fact]
    public void TryParse_KeysInsideText_AreText()
    {
        Assert.True(DeliveryReceiptText.TryParse("id:1 stat:DELIVRD text:id:2 stat:UNDELIV", out var receipt));

        Assert.Equal(("1", "DELIVRD", "id:2 stat:UNDELIV"), (receipt.Id, receipt.Stat, receipt.Text));
    }

    [Fact]
    public void TryParse_KeyWithoutValue_IsNull()
    {
        Assert.True(DeliveryReceiptText.TryParse("id:42 err: stat:DELIVRD", out var receipt));

        Assert.Null(receipt.Err);
        Assert.Equal("DELIVRD", receipt.Stat);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sub:001 dlvrd:001 stat:DELIVRD err:000")]
    [InlineData("msgid:5 stat:DELIVRD")]
    [InlineData("id: stat:DELIVRD")]
    [InlineData("Hello, see you at 5")]
    public void TryParse_NoId_IsFalse(string text)
    {
        Assert.False(DeliveryReceiptText.TryParse(text, out _));
    }

    [Fact]
    public void Format_ThenTryParse_GivesReceiptBack()
    {
        var receipt = new DeliveryReceiptText("abc", "001", "001", "2401011200", "2401011201", "DELIVRD", "000", "Hello there");

        Assert.Equal("id:abc sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello there", receipt.Format());
        Assert.True(DeliveryReceiptText.TryParse(receipt.Format(), out var parsed));
        Assert.Equal(receipt, parsed);
    }
}
